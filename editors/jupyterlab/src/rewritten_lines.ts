/**
 * nblift's diagnostics on the lines jupyterlab-lsp leaves bare.
 *
 * jupyterlab-lsp draws no diagnostic that starts on a line its IPython rewriting produced
 * (its `skipInspect`): a `%magic`, `!cmd` or `obj?` line, and the lines of a cell magic. Those
 * are the lines nblift's NB1xx findings are about (`%time` becomes a statement, `!pip` becomes
 * a dependency), so this draws nblift's diagnostics there, and only there, from the same
 * `publishDiagnostics` the server sends: the underline jupyterlab-lsp uses, and the message in
 * a tooltip on hover.
 */
import { RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration,
  DecorationSet,
  EditorView,
  hoverTooltip
} from '@codemirror/view';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import {
  IEditorPosition,
  ILSPDocumentConnectionManager,
  IVirtualPosition,
  VirtualDocument
} from '@jupyterlab/lsp';

/** The part of an LSP diagnostic read here. */
interface LspDiagnostic {
  range: {
    start: { line: number; character: number };
    end: { line: number; character: number };
  };
  severity?: number;
  code?: string | number;
  source?: string;
  message: string;
}

/** The marks of one editor, each carrying what its tooltip says. */
interface Mark {
  from: number;
  to: number;
  severity: string;
  message: string;
}

const SEVERITIES = ['error', 'error', 'warning', 'info', 'hint'];

const setMarks = StateEffect.define<Mark[]>();

const marks = StateField.define<{ marks: Mark[]; decorations: DecorationSet }>({
  create: () => ({ marks: [], decorations: Decoration.none }),
  update(value, transaction) {
    for (const effect of transaction.effects) {
      if (effect.is(setMarks)) {
        return { marks: effect.value, decorations: decorate(effect.value) };
      }
    }
    if (!transaction.docChanged) {
      return value;
    }
    // Edits move the marks until the server's next diagnostics replace them.
    const moved = value.marks.map(mark => ({
      ...mark,
      from: transaction.changes.mapPos(mark.from, 1),
      to: transaction.changes.mapPos(mark.to, -1)
    }));
    const kept = moved.filter(mark => mark.to > mark.from);
    return { marks: kept, decorations: decorate(kept) };
  },
  provide: field => EditorView.decorations.from(field, value => value.decorations)
});

function decorate(list: Mark[]): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const mark of [...list].sort((a, b) => a.from - b.from || a.to - b.to)) {
    builder.add(
      mark.from,
      mark.to,
      Decoration.mark({
        // jupyterlab-lsp's lint classes, so the underline looks like its own.
        class: `cm-lintRange cm-lintRange-${mark.severity} nblift-rewritten-line`
      })
    );
  }
  return builder.finish();
}

/** The message of the marks under the pointer, laid out as CodeMirror's lint tooltip. */
const tooltip = hoverTooltip((view, position) => {
  const under = (view.state.field(marks, false)?.marks ?? []).filter(
    mark => mark.from <= position && position <= mark.to
  );
  if (under.length === 0) {
    return null;
  }
  return {
    pos: Math.min(...under.map(mark => mark.from)),
    end: Math.max(...under.map(mark => mark.to)),
    create: () => {
      const list = document.createElement('ul');
      list.className = 'cm-tooltip-lint';
      for (const mark of under) {
        const item = document.createElement('li');
        item.className = `cm-diagnostic cm-diagnostic-${mark.severity}`;
        const text = document.createElement('span');
        text.className = 'cm-diagnosticText';
        text.textContent = mark.message;
        item.appendChild(text);
        const source = document.createElement('div');
        source.className = 'cm-diagnosticSource';
        source.textContent = 'nblift';
        item.appendChild(source);
        list.appendChild(item);
      }
      return { dom: list };
    }
  };
});

/**
 * jupyterlab-lsp's test for a rewritten line: the virtual line's `skipInspect` names the
 * document. `virtualLines` is protected in @jupyterlab/lsp's typings; jupyterlab-lsp reads it
 * the same way.
 */
function rewritten(document: VirtualDocument, line: number): boolean {
  const lines = (
    document as unknown as {
      virtualLines?: Map<number, { skipInspect?: string[] }>;
    }
  ).virtualLines;
  return lines?.get(line)?.skipInspect?.includes(document.idPath) ?? false;
}

function editorPosition(
  document: VirtualDocument,
  position: { line: number; character: number }
): IEditorPosition | null {
  try {
    return document.transformVirtualToEditor({
      line: position.line,
      ch: position.character
    } as IVirtualPosition);
  } catch {
    return null;
  }
}

/** Offset of an editor position, clamped to its line: a rewritten line is longer. */
function offsetIn(view: EditorView, position: IEditorPosition): number | null {
  if (position.line >= view.state.doc.lines) {
    return null;
  }
  const line = view.state.doc.line(position.line + 1);
  return line.from + Math.min(position.ch, line.length);
}

function draw(
  document: VirtualDocument,
  diagnostics: LspDiagnostic[],
  drawn: Set<CodeMirrorEditor>
): void {
  const byEditor = new Map<CodeMirrorEditor, Mark[]>();
  for (const diagnostic of diagnostics) {
    const start = diagnostic.range.start;
    if (diagnostic.source !== 'nblift' || !rewritten(document, start.line)) {
      continue;
    }
    const editor = document
      .getEditorAtVirtualLine({ line: start.line, ch: start.character } as IVirtualPosition)
      ?.getEditor() as CodeMirrorEditor | null;
    const from = editorPosition(document, start);
    if (!editor || !from) {
      continue;
    }
    const to = editorPosition(document, diagnostic.range.end) ?? from;
    const fromOffset = offsetIn(editor.editor, from);
    if (fromOffset === null) {
      continue;
    }
    let toOffset = offsetIn(editor.editor, to) ?? fromOffset;
    if (toOffset <= fromOffset) {
      toOffset = editor.editor.state.doc.lineAt(fromOffset).to;
    }
    const code = diagnostic.code === undefined ? '' : ` (${diagnostic.code})`;
    const list = byEditor.get(editor) ?? [];
    list.push({
      from: fromOffset,
      to: toOffset,
      severity: SEVERITIES[diagnostic.severity ?? 1] ?? 'info',
      message: diagnostic.message + code
    });
    byEditor.set(editor, list);
  }
  // Editors marked before and not now lose their marks.
  for (const editor of new Set([...drawn, ...byEditor.keys()])) {
    if (editor.isDisposed) {
      drawn.delete(editor);
      continue;
    }
    if (editor.editor.state.field(marks, false) === undefined) {
      editor.injectExtension([marks, tooltip]);
    }
    editor.editor.dispatch({ effects: setMarks.of(byEditor.get(editor) ?? []) });
    if (byEditor.has(editor)) {
      drawn.add(editor);
    } else {
      drawn.delete(editor);
    }
  }
}

function sameUri(a: string, b: string): boolean {
  return decodeURIComponent(a) === decodeURIComponent(b);
}

/** Draw nblift's diagnostics on rewritten lines in every document jupyterlab-lsp connects. */
export function drawRewrittenLineDiagnostics(
  manager: ILSPDocumentConnectionManager
): void {
  manager.connected.connect((_, { connection, virtualDocument }) => {
    const drawn = new Set<CodeMirrorEditor>();
    connection.serverNotifications['textDocument/publishDiagnostics'].connect(
      (_connection, params) => {
        if (
          !virtualDocument.isDisposed &&
          sameUri(params.uri, virtualDocument.documentInfo.uri)
        ) {
          draw(virtualDocument, params.diagnostics as LspDiagnostic[], drawn);
        }
      }
    );
  });
}
