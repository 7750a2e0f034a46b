"""Script -> text: prints an AST back as .ride source (parse(unparse(s)) == s)."""

from __future__ import annotations

from . import nodes as n

# Binding strength of operators, for minimal parentheses.
_PRECEDENCE = {"|": 1, "&": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "==": 4, "!=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "**": 8}


def unparse(script: n.Script) -> str:
    return "".join(_statement(st, "") for st in script.statements)


def _statement(st, indent: str) -> str:
    if isinstance(st, n.Camera):
        inner = "".join(_statement(s, indent + "  ") for s in st.settings)
        return f"{indent}camera {{\n{inner}{indent}}}\n"
    if isinstance(st, n.Timeline):
        inner = "".join(f"{indent}  {_timeline_entry(e)}\n" for e in st.entries)
        return f"{indent}timeline {{\n{inner}{indent}}}\n"
    return f"{indent}{_setting(st, indent)}\n"


def _setting(st, indent: str) -> str:
    if isinstance(st, n.TextSetting):
        return f"{st.name} {quote(st.text)}"
    if isinstance(st, n.ValueSetting):
        return f"{st.name} " + ", ".join(value(v, indent) for v in st.values)
    if isinstance(st, n.SizeSetting):
        return f"size {st.width}x{st.height}"
    if isinstance(st, n.SeedSetting):
        return "seed random" if st.value is None else f"seed {value(st.value, indent)}" + (" iter" * st.iterate) + (" flow" * st.flow)
    if isinstance(st, n.WordSetting):
        return " ".join([st.name, *(w.text for w in st.words)])
    if isinstance(st, n.SchedulerSetting):
        return f"scheduler {quote(st.scheduler)}"
    if isinstance(st, n.DepthSetting):
        return f"depth {quote(st.value) if st.quoted else st.value}"
    if isinstance(st, n.LoopSetting):
        parts = ["loop", st.mode.text]
        if st.duration:
            parts.append(time(st.duration))
        if st.transition:
            parts.append(transition(st.transition))
        return " ".join(parts)
    if isinstance(st, n.AdapterSetting):
        return " ".join(["adapter", *(quote(s) for s in (st.repo, st.weight_name, st.subfolder) if s is not None)])
    if isinstance(st, n.LoraSetting):
        return f"lora {quote(st.path)}" + (f" {st.weight:g}" if st.weight is not None else "")
    if isinstance(st, n.EmbeddingSetting):
        return f"embedding {quote(st.path)}" + (f" {quote(st.token)}" if st.token is not None else "")
    if isinstance(st, n.ReverseSetting):
        return "reverse"
    if isinstance(st, n.Unknown):
        return f"{st.name} {st.rest}".rstrip()
    if isinstance(st, n.Let):
        return f"let {st.name} = {expr(st.expr)}"
    if isinstance(st, n.Track):
        return f"track {st.name} {value(st.block, indent)}"
    raise TypeError(f"not a statement: {st!r}")


def value(v, indent: str = "") -> str:
    if isinstance(v, n.KeyBlock):
        keys = "".join(f"{indent}  {key(k)}\n" for k in v.keys)
        return f"{{\n{keys}{indent}}}"
    return expr(v)


def key(k: n.Key) -> str:
    out = f"{time(k.time)} {expr(k.value)}"
    return out + (f" {transition(k.transition)}" if k.transition else "")


def _timeline_entry(e) -> str:
    if isinstance(e, n.TimelineEnd):
        return f"{time(e.time)} end"
    out = f"{time(e.time)} " + " + ".join(_term(t) for t in e.mix)
    if e.morph:
        out += f" morph {time(e.morph.duration)}"
        if e.morph.method:
            out += f" {e.morph.method}"
        if e.morph.transition:
            out += f" {transition(e.morph.transition)}"
    if e.negative is not None:
        out += f" negative {quote(e.negative)}"
    return out


def _term(t: n.Term) -> str:
    source = quote(t.source.text) if isinstance(t.source, n.Prompt) else f"image {quote(t.source.path)}"
    return source if t.weight is None else f"{source} * {number(t.weight)}"


def time(t: n.TimeRef) -> str:
    if t.unit == "end":
        return "end"
    unit = "" if t.unit == "f" else t.unit
    return ("+" if t.relative else "") + number(t.amount) + unit


def transition(t: n.Transition) -> str:
    if t.kind == "ease":
        return f"ease {t.mode}".rstrip()
    if t.kind == "bezier":
        return "bezier(" + ", ".join(number(p) for p in t.points) + ")"
    return t.kind


def number(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def expr(e, parent: int = 0) -> str:
    if isinstance(e, n.Num):
        return number(e.value)
    if isinstance(e, n.Name):
        return e.id
    if isinstance(e, n.Call):
        return f"{e.func}(" + ", ".join(expr(a) for a in e.args) + ")"
    if isinstance(e, n.Unary):
        out = f"{e.op}{expr(e.operand, 7)}"
        return f"({out})" if parent > 7 else out
    if isinstance(e, n.Binary):
        p = _PRECEDENCE[e.op]
        if e.op == "**":  # right-associative, and its right side is a unary
            out = f"{expr(e.left, p + 1)} ** {expr(e.right, 7)}"
        elif p == 4:  # comparisons do not chain
            out = f"{expr(e.left, p + 1)} {e.op} {expr(e.right, p + 1)}"
        else:
            out = f"{expr(e.left, p)} {e.op} {expr(e.right, p + 1)}"
        return f"({out})" if p < parent else out
    raise TypeError(f"not an expression: {e!r}")
