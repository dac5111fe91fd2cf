/**
 * nblift in VS Code: starts `nblift lsp` for Jupyter notebooks (LSP notebook document sync,
 * so each cell's diagnostics land on that cell) and percent scripts, and contributes the two
 * actions as commands, a cell toolbar button (lift) and a notebook toolbar button (convert).
 * The lift is also in the light bulb, as the server's `refactor.extract` code action.
 */
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions
} from 'vscode-languageclient/node';

/** The server's command that converts a notebook (`nblift.convert`). */
const CONVERT = 'nblift.convert';
const LIFT_TITLE = 'Lift cell into a function';

let client: LanguageClient | undefined;

function binary(): string {
  const configured = vscode.workspace.getConfiguration('nblift').get<string>('path');
  return configured && configured.trim() ? configured.trim() : 'nblift';
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const server: ServerOptions = { command: binary(), args: ['lsp'] };
  const options: LanguageClientOptions = {
    // Notebook cells are synced as notebooks (the server asks for `jupyter-notebook`);
    // Python files are served when they are percent scripts.
    documentSelector: [
      { notebook: { notebookType: 'jupyter-notebook' }, language: 'python' },
      { scheme: 'file', language: 'python' }
    ],
    outputChannelName: 'nblift'
  };
  client = new LanguageClient('nblift', 'nblift', server, options);
  context.subscriptions.push(
    vscode.commands.registerCommand('nblift.liftCell', liftCell),
    vscode.commands.registerCommand('nblift.convertNotebook', convertNotebook)
  );
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `nblift: could not start \`${binary()} lsp\` (${error}). Set "nblift.path", or put ` +
        'nblift on PATH with `cargo install --path .`.'
    );
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/** The cell a toolbar button was pressed on, else the notebook's selected cell. */
function targetCell(argument: unknown): vscode.NotebookCell | undefined {
  if (argument && typeof argument === 'object' && 'document' in argument && 'notebook' in argument) {
    return argument as vscode.NotebookCell;
  }
  const editor = vscode.window.activeNotebookEditor;
  const selected = editor?.selections[0];
  return editor && selected && !selected.isEmpty
    ? editor.notebook.cellAt(selected.start)
    : undefined;
}

/** Applies the server's "Lift cell into a function" code action to the cell. */
async function liftCell(argument?: unknown): Promise<void> {
  const cell = targetCell(argument);
  if (!cell || cell.kind !== vscode.NotebookCellKind.Code) {
    void vscode.window.showInformationMessage('nblift: select a code cell to lift.');
    return;
  }
  const start = new vscode.Range(0, 0, 0, 0);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      cell.document.uri,
      start,
      vscode.CodeActionKind.RefactorExtract.value
    )) ?? [];
  const lift = actions.find(action => action.title === LIFT_TITLE);
  if (!lift) {
    void vscode.window.showInformationMessage('nblift offers no lift for this cell.');
    return;
  }
  if (lift.disabled) {
    void vscode.window.showInformationMessage(`nblift: ${lift.disabled.reason}`);
    return;
  }
  if (lift.edit) {
    await vscode.workspace.applyEdit(lift.edit);
  }
}

/** What `nblift.convert` reports (as `nblift convert --format json`). */
interface ConvertReport {
  output: string;
  package: string;
}

/** Runs the server's convert command on the active notebook (unsaved edits included), asking
 * before it replaces a package folder that is already there. */
async function convertNotebook(): Promise<ConvertReport | undefined> {
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  if (!notebook || !client) {
    void vscode.window.showInformationMessage('nblift: open a notebook to convert.');
    return undefined;
  }
  const convert = (options: object): Promise<ConvertReport> =>
    client!.sendRequest(ExecuteCommandRequest.type, {
      command: CONVERT,
      arguments: [notebook.uri.toString(), options]
    });
  try {
    const planned = await convert({ dry_run: true });
    const existing = await vscode.workspace.fs
      .readDirectory(vscode.Uri.file(planned.output))
      .then(entries => entries.length > 0, () => false);
    if (existing) {
      const replace = 'Replace';
      const answer = await vscode.window.showWarningMessage(
        `${planned.output} already exists. Replace it with the package converted now?`,
        { modal: true },
        replace
      );
      if (answer !== replace) {
        return undefined;
      }
    }
    // The server says what it wrote (window/showMessage).
    return await convert({ force: existing });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`nblift: ${message}`);
    return undefined;
  }
}
