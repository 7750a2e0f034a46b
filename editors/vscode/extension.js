// The ride extension's client: starts `ride lsp` on stdio for .ride files. Highlighting needs no
// server (syntaxes/ride.tmLanguage.json); everything else (diagnostics, hover, completion,
// definitions, symbols, formatting) comes from the server, the same code as `ride check` and `ride fmt`.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const command = vscode.workspace.getConfiguration("ride").get("path") || "ride";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

async function start(context) {
  client = new LanguageClient("ride", "ride", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "ride" }, { scheme: "untitled", language: "ride" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.ride") },
  });
  try {
    await client.start();
  } catch (error) {
    const path = serverOptions().command;
    vscode.window.showErrorMessage(
      `ride: could not start \`${path} lsp\` (${error.message || error}). ` +
        "Install ride with its lsp extra (pip install 'ride[lsp]') or set ride.path to the ride command.");
  }
}

async function activate(context) {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("ride.path")) {
        if (client) {
          await client.stop();
        }
        await start(context);
      }
    }),
    { dispose: () => client && client.stop() },
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
