/**
 * nblift in JupyterLab: "Lift cell into a function" in the cell context menu and the command
 * palette; "Convert notebook to package" and "Verify notebook against package" in the
 * notebook toolbar and the palette. Each asks the server extension (`/nblift/...`), which runs
 * the `nblift` binary; results are shown in the "nblift" panel of the right sidebar. With
 * jupyterlab-lsp, nblift's diagnostics on IPython lines (which jupyterlab-lsp leaves bare) are
 * drawn too (`rewritten_lines.ts`).
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  ToolbarButton,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { ICodeCellModel } from '@jupyterlab/cells';
import { URLExt } from '@jupyterlab/coreutils';
import { ILSPDocumentConnectionManager } from '@jupyterlab/lsp';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { DisposableDelegate } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { drawRewrittenLineDiagnostics } from './rewritten_lines';

const COMMANDS = {
  lift: 'nblift:lift-cell',
  convert: 'nblift:convert',
  verify: 'nblift:verify'
};

/** A cell as the server extension reads it: the notebook as shown, unsaved edits included. */
interface ShownCell {
  kind: string;
  source: string;
  tags: string[];
  execution_count: number | null;
}

interface LiftReply {
  text?: string;
  reason?: string;
}

interface ConvertReply {
  output?: string;
  package?: string;
  files?: string[];
  diagnostics?: { severity: string; code: string; message: string }[];
  /** The package folder exists: replacing it is the user's call. */
  confirm?: string;
  error?: string;
}

interface VerifyReply {
  verdict?: string;
  details?: string[];
  error?: string;
}

async function post<T>(action: string, body: object): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'nblift', action);
  const response = await ServerConnection.makeRequest(
    url,
    { method: 'POST', body: JSON.stringify(body) },
    settings
  );
  const text = await response.text();
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = JSON.parse(text).message || message;
    } catch {
      // Not JSON: the status says it.
    }
    throw new Error(message);
  }
  return JSON.parse(text) as T;
}

function shownCells(panel: NotebookPanel): ShownCell[] {
  const cells: ShownCell[] = [];
  const model = panel.content.model;
  if (!model) {
    return cells;
  }
  for (let index = 0; index < model.cells.length; index++) {
    const cell = model.cells.get(index);
    const tags = cell.getMetadata('tags');
    const count = cell.type === 'code' ? (cell as ICodeCellModel).executionCount : null;
    cells.push({
      kind: cell.type,
      source: cell.sharedModel.getSource(),
      tags: Array.isArray(tags) ? tags : [],
      execution_count: count ?? null
    });
  }
  return cells;
}

/** The "nblift" panel: what the last convert or verify found. */
class ResultsPanel extends Widget {
  constructor() {
    super();
    this.id = 'nblift-results';
    this.title.label = 'nblift';
    this.title.caption = 'nblift: convert and verify results';
    this.addClass('nblift-results');
  }

  report(heading: string, lines: string[], verdict?: string): void {
    const section = document.createElement('section');
    const title = document.createElement('h3');
    title.textContent = heading;
    if (verdict) {
      title.classList.add(`nblift-verdict-${verdict}`);
    }
    section.appendChild(title);
    for (const line of lines) {
      const pre = document.createElement('pre');
      pre.textContent = line;
      section.appendChild(pre);
    }
    this.node.replaceChildren(section);
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nblift:plugin',
  description: 'nblift: lift a cell, convert a notebook, verify the package',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILSPDocumentConnectionManager],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    lsp: ILSPDocumentConnectionManager | null
  ) => {
    if (lsp) {
      drawRewrittenLineDiagnostics(lsp);
    }
    const results = new ResultsPanel();
    const reveal = () => {
      if (!results.isAttached) {
        app.shell.add(results, 'right', { rank: 900 });
      }
      app.shell.activateById(results.id);
    };
    const current = () => tracker.currentWidget;

    // The cell the context menu was opened on (the last right-click is remembered after
    // the menu closes: only the menu's entry asks for it), else the active cell.
    const targetCell = (fromContextMenu: boolean) => {
      const panel = current();
      if (!panel) {
        return null;
      }
      const node = fromContextMenu
        ? app.contextMenuHitTest(n => n.classList.contains('jp-Cell'))
        : undefined;
      const hit = panel.content.widgets.findIndex(cell => cell.node === node);
      const index = hit >= 0 ? hit : panel.content.activeCellIndex;
      const cell = panel.content.widgets[index];
      return cell ? { panel, index, cell } : null;
    };

    app.commands.addCommand(COMMANDS.lift, {
      label: 'Lift cell into a function',
      caption: 'nblift: turn the cell into a function and a call of it',
      isEnabled: args => targetCell(!!args.fromContextMenu)?.cell.model.type === 'code',
      execute: async args => {
        const target = targetCell(!!args.fromContextMenu);
        if (!target) {
          return;
        }
        const { panel, index, cell } = target;
        try {
          const reply = await post<LiftReply>('lift', {
            path: panel.context.path,
            cells: shownCells(panel),
            cell: index
          });
          if (reply.text === undefined) {
            await showErrorMessage(
              'Lift cell into a function',
              reply.reason ?? 'nblift cannot lift this cell'
            );
            return;
          }
          // One transaction: one step of undo gives the cell back.
          cell.model.sharedModel.setSource(reply.text);
        } catch (error) {
          await showErrorMessage('Lift cell into a function', String(error));
        }
      }
    });

    const convert = async (panel: NotebookPanel, force: boolean): Promise<void> => {
      await panel.context.save();
      const reply = await post<ConvertReply>('convert', {
        path: panel.context.path,
        cells: shownCells(panel),
        force
      });
      if (reply.confirm) {
        const answer = await showDialog({
          title: 'Convert notebook to package',
          body: `${reply.confirm} already exists. Replace it?`,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
        });
        if (answer.button.accept) {
          await convert(panel, true);
        }
        return;
      }
      reveal();
      if (reply.error) {
        results.report('Not converted', [reply.error], 'failed');
        return;
      }
      const notes = (reply.diagnostics ?? []).map(
        d => `${d.severity}[${d.code}]: ${d.message}`
      );
      results.report(
        `Converted: package ${reply.package}`,
        [
          [`wrote ${reply.output}`, ...(reply.files ?? []).map(f => `  ${f}`)].join('\n'),
          ...notes
        ],
        'done'
      );
    };

    const verify = async (panel: NotebookPanel): Promise<void> => {
      reveal();
      results.report('Verifying…', [`running ${panel.context.path} and its package`]);
      try {
        await panel.context.save();
        const reply = await post<VerifyReply>('verify', {
          path: panel.context.path,
          cells: shownCells(panel)
        });
        if (reply.error) {
          results.report('Not verified', [reply.error], 'failed');
        } else {
          const verdict = reply.verdict ?? 'unknown';
          const style = verdict === 'equivalent' ? 'equivalent' : 'differs';
          results.report(`Verified: ${verdict}`, reply.details ?? [], style);
        }
      } catch (error) {
        results.report('Not verified', [String(error)], 'failed');
      }
    };
    const convertShowingErrors = (panel: NotebookPanel) =>
      convert(panel, false).catch(error =>
        showErrorMessage('Convert notebook to package', String(error))
      );

    app.commands.addCommand(COMMANDS.convert, {
      label: 'Convert notebook to package',
      caption: 'nblift: write a Python package that does what the notebook does',
      isEnabled: () => current() !== null,
      execute: async () => {
        const panel = current();
        if (panel) {
          await convertShowingErrors(panel);
        }
      }
    });

    app.commands.addCommand(COMMANDS.verify, {
      label: 'Verify notebook against package',
      caption: 'nblift: run the notebook and its package, and compare what they do',
      isEnabled: () => current() !== null,
      execute: async () => {
        const panel = current();
        if (panel) {
          await verify(panel);
        }
      }
    });

    app.contextMenu.addItem({
      command: COMMANDS.lift,
      args: { fromContextMenu: true },
      selector: '.jp-Notebook .jp-CodeCell',
      rank: 20
    });
    if (palette) {
      for (const command of Object.values(COMMANDS)) {
        palette.addItem({ command, category: 'nblift' });
      }
    }
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const convertButton = new ToolbarButton({
          label: 'Convert',
          tooltip: 'nblift: Convert notebook to package',
          onClick: () => void convertShowingErrors(panel)
        });
        const verifyButton = new ToolbarButton({
          label: 'Verify',
          tooltip: 'nblift: Verify notebook against package',
          onClick: () => void verify(panel)
        });
        panel.toolbar.insertItem(20, 'nblift-convert', convertButton);
        panel.toolbar.insertItem(21, 'nblift-verify', verifyButton);
        return new DisposableDelegate(() => {
          convertButton.dispose();
          verifyButton.dispose();
        });
      }
    });
  }
};

export default plugin;
