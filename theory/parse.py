"""Safe parsing of user formulas and numbers into sympy (no ``eval``, no ``sympify`` of text).

Claims files (``derivations/*.toml``) and command-line options such as ``--budget`` carry
formulas written by whoever sends them; ``sympy.sympify``/``parse_expr`` evaluate such text as
Python and so run any code in it.  This module reads a formula with :func:`ast.parse` (mode
``eval``), checks every node of the syntax tree against a whitelist and builds the sympy
expression itself:

* numbers: decimal integer and decimal literals, taken exactly from their source text
  (``0.1`` is ``1/10``, ``1e-3`` is ``1/1000``);
* names: those of the caller's ``names`` mapping (parameters, aliases, sub-expressions) and the
  constants :data:`DEFAULT_CONSTANTS` (``pi``, ``E``, ``EulerGamma``, ``oo``/``inf``);
* operators ``+ - * / **``, unary ``-``/``+`` and parentheses;
* calls ``f(x, …)`` of the functions :data:`DEFAULT_FUNCTIONS` with positional arguments.

Everything else — attribute access, subscripts, lambdas, comprehensions, strings, bytes,
f-strings, keyword or starred arguments, comparisons, boolean and bitwise operators (``^`` is not
a power), conditional expressions, ``:=``, dunder names, unknown names — raises
:class:`ExpressionError` (a ``ValueError``) naming the field, quoting the text and listing what is
allowed.

Size limits (:class:`Limits`) keep parsing fast on hostile input: text length, number of syntax
nodes, nesting depth, digits of every exact number, size of numeric exponents (``9**9**9**9``
fails before sympy computes anything), the argument of ``exp`` and of ``binomial``/``Gamma``/
``zeta``, and the number of ``Min``/``Max`` arguments.  Powers of numbers are refused *before*
they are built when the result could exceed the digit limit; every built node is then checked
again (sympy combines ``(x**a)**b`` and ``exp(a)**b`` into larger exponents on construction).

The limits bound the parse.  They cannot bound what happens when a caller later substitutes large
values into a formula (``x**L`` at ``L = 10**9``): evaluation needs its own time limits.

Public functions: :func:`parse_expression`, :func:`parse_number`, :func:`parse_monomial`,
:func:`monomial_powers`, :func:`sympify_value`.
"""
from __future__ import annotations

import ast
import decimal
import fractions
import math
import re
import warnings
from dataclasses import dataclass
from typing import Callable

import sympy as sp

__all__ = ["ExpressionError", "Limits", "DEFAULT_LIMITS", "Function", "DEFAULT_FUNCTIONS",
           "DEFAULT_CONSTANTS", "parse_expression", "parse_number", "parse_monomial",
           "monomial_powers", "sympify_value"]


class ExpressionError(ValueError):
    """A formula or number that is malformed, not allowed, or over a size limit.

    The message names the field, quotes the (truncated) text, says what is wrong and what is
    allowed.  Attributes: ``field``, ``text``, ``problem`` (the reason alone).
    """

    def __init__(self, field, text, problem, allowed=None):
        self.field, self.text, self.problem = field, text, problem
        msg = f"field {field!r}: {problem} in {_quote(text)}"
        if allowed:
            msg += f"; allowed: {allowed}"
        super().__init__(msg)


@dataclass(frozen=True)
class Limits:
    """Size limits of one parse (defaults: :data:`DEFAULT_LIMITS`).

    ``max_length`` characters of text; ``max_nodes`` expression nodes of the syntax tree;
    ``max_depth`` nesting depth of the tree; ``max_digits``: every exact rational ``p/q`` built
    (literal or computed) has ``|p|, q ≤ 10^max_digits``; ``max_exponent``: a numeric exponent
    satisfies ``|b| ≤ max_exponent``; ``max_exp_argument``: a numeric argument of ``exp`` satisfies
    ``|x| ≤`` it (``exp(exp(10))`` is refused: towers cannot even be evaluated);
    ``max_special_argument``: numeric arguments of ``binomial``, ``Gamma``, ``zeta``;
    ``max_minmax_args``: arguments of one ``Min``/``Max`` (sympy compares them pairwise);
    ``max_number_digits``: the digit limit of :func:`parse_number` (400: every finite float,
    down to 5e-324, is accepted exactly; number fields take no roots while parsing).
    """

    max_length: int = 2000
    max_nodes: int = 500
    max_depth: int = 100
    max_digits: int = 100
    max_exponent: int = 1000
    max_exp_argument: int = 10_000
    max_special_argument: int = 1000
    max_minmax_args: int = 4
    max_number_digits: int = 400


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Function:
    """A whitelisted function: the sympy callable, its number of positional arguments and how its
    numeric arguments are bounded (``kind``: ``"sqrt"`` is built as a checked power, ``"exp"``
    bounds the argument by ``max_exp_argument``, ``"special"`` every argument by
    ``max_special_argument``, ``"minmax"`` the argument count by ``max_minmax_args``)."""

    func: Callable
    min_args: int = 1
    max_args: int = 1
    kind: str = ""


#: functions a formula may call (``Gamma`` is the Γ function: ``gamma`` is a parameter name)
DEFAULT_FUNCTIONS = {
    "sqrt": Function(sp.sqrt, kind="sqrt"),
    "exp": Function(sp.exp, kind="exp"),
    "log": Function(sp.log, 1, 2),
    "Abs": Function(sp.Abs),
    "Min": Function(sp.Min, 1, 10 ** 6, "minmax"),   # the count is capped by the limits
    "Max": Function(sp.Max, 1, 10 ** 6, "minmax"),
    "binomial": Function(sp.binomial, 2, 2, "special"),
    "zeta": Function(sp.zeta, 1, 2, "special"),
    "Gamma": Function(sp.gamma, 1, 1, "special"),
    "Beta": Function(sp.beta, 2, 2, "special"),      # Euler's Beta (``beta`` is the parameter)
    "sin": Function(sp.sin),
    "cos": Function(sp.cos),
}

#: constant names (``inf`` is a synonym of ``oo``)
DEFAULT_CONSTANTS = {"pi": sp.pi, "E": sp.E, "EulerGamma": sp.EulerGamma, "oo": sp.oo,
                     "inf": sp.oo}

_OPERATORS = "+ - * / ** and parentheses"

# what a rejected syntax node is called in messages
_NODE_WORDS = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Slice: "slices",
    ast.Lambda: "lambda", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "generator expressions",
    ast.JoinedStr: "f-strings", ast.FormattedValue: "f-strings", ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators (and/or)", ast.NamedExpr: "assignments (:=)",
    ast.IfExp: "conditional expressions (if/else)", ast.Starred: "starred arguments",
    ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BAD_BINOPS = {ast.BitXor: "'^' (write powers as **)", ast.FloorDiv: "'//'", ast.Mod: "'%'",
               ast.MatMult: "'@'", ast.BitAnd: "'&'", ast.BitOr: "'|'", ast.LShift: "'<<'",
               ast.RShift: "'>>'"}

_DECIMAL = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_PLAIN_NUMBER = re.compile(rf"([+-]?{_DECIMAL})(?:\s*/\s*({_DECIMAL}))?")
_INF_WORDS = ("inf", "+inf", "infinity", "+infinity", "oo", "+oo")


_GROUPS = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1}


def _chained(node):
    """True for ``(a ∘ b) ∘' c`` with ∘, ∘' both additive or both multiplicative."""
    return isinstance(node, ast.BinOp) and isinstance(node.left, ast.BinOp) and \
        _GROUPS.get(type(node.op), -1) == _GROUPS.get(type(node.left.op), -2)


def _quote(text, n=80):
    s = text if isinstance(text, str) else repr(text)
    return repr(s if len(s) <= n else s[:n] + "…")


def _segment(text, node, n=40):
    seg = ast.get_source_segment(text, node) or type(node).__name__
    return seg if len(seg) <= n else seg[:n] + "…"


def _digits_ok(r, limits, digits=None):
    """|p|, q ≤ 10^digits (default ``limits.max_digits``) for a sympy Rational (bit lengths
    first: no big-int powers)."""
    digits = limits.max_digits if digits is None else digits
    bound_bits = digits * 3.3219280948873626 + 1
    p, q = abs(int(r.p)), int(r.q)
    if p.bit_length() > bound_bits or q.bit_length() > bound_bits:
        return False
    bound = 10 ** digits
    return p <= bound and q <= bound


def _log10(r):
    """log10 of max(|p|, q) of a sympy Rational (0 for 0)."""
    p, q = abs(int(r.p)), int(r.q)
    return max(math.log10(p) if p else 0.0, math.log10(q))


def _number_size(expr):
    """Largest log10 of the rationals that raising ``expr`` to a numeric power raises: sympy
    distributes a power over the factors of a product and into the base of a power, but leaves
    ``(a + b)**n`` and ``f(x)**n`` alone, and only multiplies numeric exponents (a cheap operation,
    bounded separately)."""
    size, stack = 0.0, [expr]
    while stack:
        e = stack.pop()
        if e.is_Rational:
            size = max(size, _log10(e))
        elif e.is_Mul:
            stack.extend(e.args)
        elif e.is_Pow and e.exp.is_number:
            stack.append(e.base)
    return size


def _decimal_to_rational(d, limits, max_digits=None):
    """Exact sympy Rational of a finite Decimal, or None when over the digit limit."""
    max_digits = limits.max_digits if max_digits is None else max_digits
    _, digits, exp = d.as_tuple()
    if len(digits) > max_digits + 1 or abs(exp) > max_digits + len(digits):
        return None
    n, q = d.as_integer_ratio()
    r = sp.Rational(n, q)
    return r if _digits_ok(r, limits, max_digits) else None


class _Builder:
    """One parse: the whitelist, the limits and the text (for messages)."""

    def __init__(self, text, names, functions, constants, field, limits):
        self.text, self.names, self.functions = text, names, functions
        self.constants, self.field, self.limits = constants, field, limits
        self.checked = set()

    # -- messages
    def allowed(self):
        parts = ["numbers (e.g. 2, 0.5, 1e-3)"]
        if self.names:
            parts.append("the names " + ", ".join(sorted(self.names)))
        if self.constants:
            parts.append("the constants " + ", ".join(self.constants))
        if self.functions:
            parts.append("the functions " + ", ".join(f"{f}(…)" for f in self.functions))
        parts.append("the operators " + _OPERATORS)
        return "; ".join(parts)

    def fail(self, problem, allowed=True):
        raise ExpressionError(self.field, self.text, problem,
                              self.allowed() if allowed else None)

    def limit(self, problem):
        raise ExpressionError(self.field, self.text, problem)

    # -- pass 1: whitelist, node count and depth, before any sympy work
    def validate(self, tree):
        lim = self.limits
        stack, count = [(tree.body, 1)], 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > lim.max_nodes:
                self.limit(f"more than {lim.max_nodes} terms, operators and calls (limit "
                           f"max_nodes = {lim.max_nodes})")
            if depth > lim.max_depth:
                self.limit(f"nesting deeper than {lim.max_depth} levels (limit max_depth = "
                           f"{lim.max_depth})")
            children = self.check_node(node)
            flat = _chained(node)  # a + b + c: the left operand continues the chain
            stack.extend((c, depth if flat and i == 0 else depth + 1)
                         for i, c in reversed(list(enumerate(children))))

    def check_node(self, node):
        """Raise for a node outside the whitelist; return its sub-expressions in source order."""
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                what = "booleans" if isinstance(v, bool) else {
                    str: "strings", bytes: "bytes", complex: "imaginary numbers"}.get(
                    type(v), f"the literal {v!r}")
                self.fail(f"{what} not allowed: {_segment(self.text, node)!r}")
            return []
        if isinstance(node, ast.Name):
            self.check_name(node.id, node)
            return []
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                word = _BAD_BINOPS.get(type(node.op), type(node.op).__name__)
                self.fail(f"the operator {word} is not allowed")
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                word = {ast.Not: "'not'", ast.Invert: "'~'"}.get(type(node.op), "?")
                self.fail(f"the operator {word} is not allowed")
            return [node.operand]
        if isinstance(node, ast.Call):
            return self.check_call(node)
        word = _NODE_WORDS.get(type(node), type(node).__name__)
        self.fail(f"{word} not allowed: {_segment(self.text, node)!r}")

    def check_name(self, name, node):
        if name.startswith("__") or name.endswith("__"):
            self.fail(f"the dunder name {name!r} is not allowed")
        if name in self.names or name in self.constants:
            return
        if name in self.functions:
            self.fail(f"{name!r} is a function: call it as {name}(…)")
        self.fail(f"unknown name {name!r}")

    def check_call(self, node):
        f = node.func
        if not isinstance(f, ast.Name):
            self.fail(f"calling {_segment(self.text, f)!r} is not allowed (only the listed "
                      "functions, by name)")
        name = f.id
        if name.startswith("__") or name.endswith("__"):
            self.fail(f"the dunder name {name!r} is not allowed")
        if name not in self.functions:
            if name in self.names or name in self.constants:
                hint = " (the Γ function is Gamma)" if name == "gamma" and \
                    "Gamma" in self.functions else ""
                self.fail(f"{name!r} is not a function{hint}")
            self.fail(f"unknown function {name!r}")
        if node.keywords:
            self.fail(f"keyword arguments not allowed: {_segment(self.text, node)!r}")
        for a in node.args:
            if isinstance(a, ast.Starred):
                self.fail(f"starred arguments not allowed: {_segment(self.text, a)!r}")
        spec = self.functions[name]
        hi = min(spec.max_args, self.limits.max_minmax_args) if spec.kind == "minmax" \
            else spec.max_args
        n = len(node.args)
        if not spec.min_args <= n <= hi:
            want = f"{spec.min_args}" if spec.min_args == hi else f"{spec.min_args} to {hi}"
            self.fail(f"{name}(…) takes {want} argument(s), got {n}", allowed=False)
        return list(node.args)

    # -- pass 2: build the sympy expression bottom-up, checking sizes
    def build(self, node):
        """The sympy expression of a validated node.  Left-associative chains ``a + b - c + …``
        and ``a * b / c * …`` are folded in a loop, so a long sum is not a deep recursion."""
        if _chained(node):
            chain, n = [], node
            while _chained(n):
                chain.append(n)
                n = n.left
            acc = self.build(n)
            for m in reversed(chain):
                acc = self.step(m, lambda m=m, a=acc: self.binop(m, a, self.build(m.right)))
            return acc
        return self.step(node, lambda: self.make(node))

    def step(self, node, make):
        try:
            out = make()
        except ExpressionError:
            raise
        except Exception as exc:  # sympy raises many types on odd input: report, do not leak
            self.fail(f"{_segment(self.text, node)} cannot be built ({type(exc).__name__}: "
                      f"{str(exc)[:80]})", allowed=False)
        self.check_built(out, node)
        return out

    def make(self, node):
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            x = self.build(node.operand)
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp):
            return self.binop(node, self.build(node.left), self.build(node.right))
        return self.call(node)  # ast.Call (validated)

    def binop(self, node, a, b):
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        return self.power(a, b, node)

    def literal(self, node):
        seg = ast.get_source_segment(self.text, node) or ""
        lim = self.limits
        if isinstance(node.value, int):
            if not re.fullmatch(r"\d[\d_]*", seg):
                self.fail(f"the literal {seg!r} is not allowed (write integers in decimal)")
            if len(seg.replace("_", "").lstrip("0")) > lim.max_digits:
                self.limit(f"an integer literal has more than {lim.max_digits} digits (limit "
                           f"max_digits = {lim.max_digits})")
            return sp.Integer(node.value)
        try:
            d = decimal.Decimal(seg.replace("_", ""))
        except decimal.InvalidOperation:
            self.fail(f"the literal {seg!r} is not a decimal number")
        r = _decimal_to_rational(d, lim) if d.is_finite() else None
        if r is None:
            self.limit(f"the number {_segment(self.text, node)} needs more than "
                       f"{lim.max_digits} digits exactly (limit max_digits = {lim.max_digits})")
        return r

    def name(self, name):
        v = self.names[name] if name in self.names else self.constants[name]
        if not isinstance(v, sp.Basic):
            v = sp.sympify(v, strict=True)  # a caller's number (never a string)
        return v

    def magnitude(self, x):
        """|x| as a float for a finite number (math.inf if it cannot be bounded)."""
        try:
            if x.is_Rational:
                return float(abs(fractions.Fraction(int(x.p), int(x.q))))
            v = sp.Abs(x).evalf(15)
            return float(v) if v.is_Number and v.is_finite else math.inf
        except OverflowError:  # a caller's huge name value, or |x| beyond double range
            return math.inf

    def power(self, a, b, node):
        lim = self.limits
        if b.is_number and b.is_finite is not False:
            mb = self.magnitude(b)
            if mb > lim.max_exponent:
                self.limit(f"the exponent in {_segment(self.text, node)} exceeds "
                           f"{lim.max_exponent} in absolute value (limit max_exponent = "
                           f"{lim.max_exponent})")
            size = _number_size(a)
            if size * mb > lim.max_digits:
                self.limit(f"{_segment(self.text, node)} would build numbers of about "
                           f"{int(size * mb)} digits (limit max_digits = {lim.max_digits})")
        return a ** b

    def call(self, node):
        name = node.func.id
        spec = self.functions[name]
        args = [self.build(a) for a in node.args]
        lim = self.limits
        if spec.kind == "sqrt":
            return self.power(args[0], sp.S.Half, node)
        if spec.kind == "exp":
            self.bound(args[0], lim.max_exp_argument, "max_exp_argument", node)
        elif spec.kind == "special":
            for a in args:
                self.bound(a, lim.max_special_argument, "max_special_argument", node)
        return spec.func(*args)

    def bound(self, x, limit, limit_name, node):
        if x.is_number and x.is_finite is not False and self.magnitude(x) > limit:
            self.limit(f"the argument of {_segment(self.text, node)} exceeds {limit} in "
                       f"absolute value (limit {limit_name} = {limit})")

    def check_built(self, expr, node):
        """Every new subexpression: rationals within the digit limit, numeric exponents and
        ``exp`` arguments bounded, Min/Max small, no undefined value (nan, zoo)."""
        if not isinstance(expr, sp.Expr):
            self.fail(f"{_segment(self.text, node)} is not an expression", allowed=False)
        lim = self.limits
        stack = [expr]
        while stack:
            e = stack.pop()
            if e in self.checked:
                continue
            self.checked.add(e)
            if e is sp.nan or e is sp.zoo:
                self.fail(f"{_segment(self.text, node)} is undefined ({e}: a division by zero or "
                          "an indeterminate form)", allowed=False)
            if e.is_Rational:
                if not _digits_ok(e, lim):
                    self.limit(f"{_segment(self.text, node)} builds a number of more than "
                               f"{lim.max_digits} digits (limit max_digits = {lim.max_digits})")
                continue
            if e.is_Pow and e.exp.is_number and e.exp.is_finite is not False and \
                    self.magnitude(e.exp) > lim.max_exponent:
                self.limit(f"{_segment(self.text, node)} builds the power {_quote(str(e), 40)} "
                           f"whose exponent exceeds {lim.max_exponent} (limit max_exponent)")
            if isinstance(e, sp.exp) and e.args[0].is_number and \
                    e.args[0].is_finite is not False and \
                    self.magnitude(e.args[0]) > lim.max_exp_argument:
                self.limit(f"{_segment(self.text, node)} builds exp(x) with |x| > "
                           f"{lim.max_exp_argument} (limit max_exp_argument)")
            if isinstance(e, (sp.Min, sp.Max)) and len(e.args) > lim.max_minmax_args:
                self.limit(f"{_segment(self.text, node)} builds a Min/Max of more than "
                           f"{lim.max_minmax_args} arguments (limit max_minmax_args)")
            stack.extend(e.args)


def parse_expression(text, names=None, *, functions=DEFAULT_FUNCTIONS,
                     constants=DEFAULT_CONSTANTS, field="expression",
                     limits=DEFAULT_LIMITS) -> sp.Expr:
    """The sympy expression of a formula, built from its syntax tree under a whitelist.

    ``names``: mapping name → sympy symbol or expression (parameters, aliases, sub-expressions);
    ``functions``: mapping name → :class:`Function` (default :data:`DEFAULT_FUNCTIONS`);
    ``constants``: mapping name → sympy constant (default :data:`DEFAULT_CONSTANTS`);
    ``field``: the name shown in error messages; ``limits``: :class:`Limits`.
    Numbers are exact: ``0.1`` is ``Rational(1, 10)``.  Raises :class:`ExpressionError`.
    """
    names = dict(names or {})
    if not isinstance(text, str):
        raise ExpressionError(field, text, f"expected a formula string, got "
                                           f"{type(text).__name__}")
    if len(text) > limits.max_length:
        raise ExpressionError(field, text, f"the text has {len(text)} characters (limit "
                                           f"max_length = {limits.max_length})")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError(field, text, "the formula is empty")
    b = _Builder(stripped, names, functions, constants, field, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning on '1 is 1': rejected anyway
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        detail = "" if exc.msg == "invalid syntax" else f" ({exc.msg})"
        b.fail(f"invalid syntax{where}{detail}")
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        b.limit(f"the text cannot be parsed ({type(exc).__name__}: {str(exc)[:80] or 'too deep'})")
    b.validate(tree)
    return b.build(tree.body)


def _number_error(field, value, allow_inf, constants, problem=None):
    forms = "an integer, a decimal (0.25, 1e-3) or a ratio p/q"
    if constants:
        forms += ", a constant expression (pi/4, sqrt(2))"
    if allow_inf:
        forms += " or inf"
    return ExpressionError(field, value if isinstance(value, str) else repr(value),
                           problem or f"{value!r} is not a number", forms)


def parse_number(value, *, field="number", allow_inf=False, integer=False, constants=False,
                 limits=DEFAULT_LIMITS):
    """An exact sympy number for a numeric field.

    Accepts Python ``int`` (not ``bool``), ``float`` (exact value of its decimal ``repr``:
    ``0.1`` is ``1/10``), ``fractions.Fraction``, ``decimal.Decimal``, sympy rationals, and
    strings that are an optionally signed integer or decimal, or a ratio ``p/q`` of two such
    numbers.  ``inf``/``infinity``/``oo`` (and ``float('inf')``) give ``sympy.oo`` only when
    ``allow_inf``.  With ``constants=True`` a string may also be a constant formula without names
    (``"pi/4"``, ``"sqrt(2)"``), read by :func:`parse_expression`, whose value must be real.
    ``integer=True`` requires an integer (or ``oo``).  NaN, booleans, ``None``, negative infinity
    and everything else raise :class:`ExpressionError`; so do numbers with more than
    ``limits.max_number_digits`` digits (400: any finite float passes).
    """
    v = _number(value, field, allow_inf, constants, limits)
    if integer and v is not sp.oo and not v.is_integer:
        raise _number_error(field, value, allow_inf, constants, f"{value!r} is not an integer")
    return v


def _number(value, field, allow_inf, constants, limits):
    def bad(problem=None):
        return _number_error(field, value, allow_inf, constants, problem)

    def inf():
        if not allow_inf:
            raise bad("inf is not allowed here (finite numbers only)")
        return sp.oo

    nd = limits.max_number_digits

    def checked(r):
        if r is None or not _digits_ok(r, limits, nd):
            raise bad(f"the number needs more than {nd} digits exactly (limit "
                      f"max_number_digits = {nd})")
        return r

    def exact(d):
        return checked(_decimal_to_rational(d, limits, nd))
    if isinstance(value, bool) or value is None:
        raise bad()
    if isinstance(value, int):
        if value.bit_length() > nd * 3.33 + 1:
            raise bad(f"the integer has more than {nd} digits (limit max_number_digits)")
        return checked(sp.Integer(value))
    if isinstance(value, float):
        if math.isnan(value):
            raise bad("nan is not a number")
        if math.isinf(value):
            if value < 0:
                raise bad("-inf is not allowed")
            return inf()
        return exact(decimal.Decimal(repr(value)))
    if isinstance(value, fractions.Fraction):
        return checked(sp.Rational(value.numerator, value.denominator))
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            raise bad("nan is not a number")
        if value.is_infinite():
            if value < 0:
                raise bad("-inf is not allowed")
            return inf()
        return exact(value)
    if isinstance(value, sp.Basic):
        if value is sp.oo:
            return inf()
        if value.is_Rational:
            return checked(value)
        if value.is_Float:
            return exact(decimal.Decimal(str(value)))
        if constants and value.is_number and value.is_extended_real and value.is_finite:
            return value
        raise bad()
    if not isinstance(value, str):
        raise bad(f"a {type(value).__name__} is not a number")
    if len(value) > limits.max_length:
        raise bad(f"the text has {len(value)} characters (limit max_length = "
                  f"{limits.max_length})")
    s = value.strip()
    if s.lower() in _INF_WORDS:
        return inf()
    m = _PLAIN_NUMBER.fullmatch(s)
    if m:
        num, den = (decimal.Decimal(g) if g else None for g in m.groups())
        r = exact(num)
        if den is not None:
            q = exact(den)
            if q == 0:
                raise bad("division by zero")
            r = checked(r / q)
        return r
    if not constants:
        raise bad()
    try:
        v = parse_expression(s, {}, field=field, limits=limits)
    except ExpressionError as exc:
        raise bad(f"{value!r} is not a number ({exc.problem})") from None
    if v is sp.oo:
        return inf()
    if not (v.is_number and v.is_extended_real and v.is_finite):
        raise bad(f"{value!r} is not a finite real number")
    return v


def monomial_powers(expr, symbols, *, field="expression", text=None, noun="symbol"):
    """``(coefficient, {symbol: power})`` of a monomial ``c·Π s_i^{b_i}`` in ``symbols`` with a
    positive numeric coefficient and positive numeric powers; ExpressionError otherwise
    (``noun`` names the symbols in messages, e.g. ``"resource"``)."""
    text = str(expr) if text is None else text
    symbols = set(symbols)

    def bad(problem):
        return ExpressionError(field, text, problem)
    if not isinstance(expr, sp.Expr):
        raise bad("not an expression")
    unknown = expr.free_symbols - symbols
    if unknown:
        raise bad(f"unknown symbol(s) {', '.join(sorted(map(str, unknown)))}")
    if not expr.free_symbols:
        raise bad(f"contains no {noun}")
    coeff, factors = expr.as_coeff_mul()
    if coeff != 1 and not (coeff.is_number and coeff.is_positive):
        raise bad("non-positive coefficient")
    powers = {}
    for f in factors:
        base, e = f.as_base_exp()
        if base not in symbols or not e.is_number or e.free_symbols:
            raise bad(f"factor {f} is not a power of a {noun} (not a monomial)")
        if not e.is_positive:
            raise bad(f"factor {f} has a non-positive power")
        powers[base] = powers.get(base, 0) + e
    return coeff, powers


def parse_monomial(text, names, *, field="expression", noun="symbol", limits=DEFAULT_LIMITS):
    """``(coefficient, {symbol: power}, expression)`` of a monomial formula such as
    ``"t*P**2*N**2*L"`` in the symbols of ``names`` (mapping name → Symbol), read by
    :func:`parse_expression` (so ``L**0.5`` has the exact power 1/2)."""
    expr = parse_expression(text, names, field=field, limits=limits)
    coeff, powers = monomial_powers(expr, names.values(), field=field, text=text, noun=noun)
    return coeff, powers, expr


def sympify_value(value, field="value"):
    """``sympy.sympify`` for values that are not text: numbers and sympy objects convert as
    sympify converts them (floats stay floats); a string goes through :func:`parse_number`
    (numbers and ``inf`` only), never through sympy's string parser."""
    if isinstance(value, str):
        return parse_number(value, field=field, allow_inf=True)
    try:
        return sp.sympify(value, strict=True)
    except sp.SympifyError:
        raise ExpressionError(field, repr(value), f"a {type(value).__name__} is not a number or "
                                                  "sympy expression") from None
