"""The language: text -> Script. Nodes with spans (nodes), the Lark parser (syntax), text again (unparse)."""
