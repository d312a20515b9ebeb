"""Syntax newer than the interpreter (3.14's t-strings and unparenthesised `except A, B:`, 3.15's `lazy import`)
goes through the libcst path and gives the same definition records and facts as `ast` gives where it can parse."""

from __future__ import annotations

import ast
import sys

import pytest

from cpython_retrieval.generate.definitions import parse_module
from cpython_retrieval.generate.facts import module_facts

NEW_SYNTAX = '''\
lazy import json
lazy from os import path


class Greeter(Base, metaclass=Meta):
    """Greets people politely, in a template."""

    def greet(self, name: str) -> Template:
        """Render a greeting as a template string."""
        return t"hello {name}"

    @staticmethod
    def safe(value, *args, **kwargs) -> bool:
        try:
            json.loads(value)
        except ValueError, TypeError:
            return False
        return True


def top(a, /, b, *, c=t"{a!r:>10}") -> int:
    return len(path.sep)
'''

#: Each new construct replaced by its nearest older spelling: what every supported `ast` can parse.
OLD_SYNTAX = (NEW_SYNTAX.replace("lazy import json", "import json").replace("lazy from os", "from os")
              .replace('t"hello {name}"', 'f"hello {name}"').replace('t"{a!r:>10}"', 'f"{a!r:>10}"')
              .replace("except ValueError, TypeError:", "except (ValueError, TypeError):"))


def _ast_can_parse(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def test_new_syntax_falls_back_to_libcst_on_older_interpreters():
    parsed = parse_module(NEW_SYNTAX, "Lib/greeter.py")
    if sys.version_info < (3, 15):
        assert not _ast_can_parse(NEW_SYNTAX) and parsed.parser == "libcst"
    by_qualname = {d.qualname: d for d in parsed.definitions}
    assert list(by_qualname) == ["Greeter", "Greeter.greet", "Greeter.safe", "top"]
    assert by_qualname["Greeter.safe"].params == ("value", "*args", "**kwargs")
    assert by_qualname["top"].params == ("a", "b", "c") and by_qualname["top"].returns.text == "int"
    facts = {(f.question_type, f.symbol): f.answer for f in module_facts(parsed, NEW_SYNTAX, "Lib/greeter.py")}
    assert facts[("return_annotation", "Greeter.greet")] == "Template"
    assert facts[("base_classes", "Greeter")] == "Base, metaclass=Meta"
    assert facts[("decorators", "Greeter.safe")] == "@staticmethod"
    assert facts[("docstring_first_line", "Greeter.greet")] == "Render a greeting as a template string."
    assert facts[("module_function_count", "Lib/greeter.py")] == "1"


@pytest.mark.parametrize("construct", ["lazy import", "t-string", "except without parentheses"])
def test_each_construct_alone_parses_through_libcst(construct):
    text = {"lazy import": "lazy import json\n\ndef f() -> None:\n    pass\n",
            "t-string": 'def f(name) -> str:\n    return t"hi {name}"\n',
            "except without parentheses": "def f() -> int:\n    try:\n        pass\n    except A, B:\n        pass\n    return 1\n"}[construct]
    parsed = parse_module(text, "Lib/m.py", prefer="libcst")
    assert [d.qualname for d in parsed.definitions] == ["f"] and parsed.parser == "libcst"


def test_both_parsers_agree_where_both_can_parse():
    assert _ast_can_parse(OLD_SYNTAX)
    via_ast = parse_module(OLD_SYNTAX, "Lib/greeter.py", prefer="ast")
    via_cst = parse_module(OLD_SYNTAX, "Lib/greeter.py", prefer="libcst")
    assert via_ast.parser == "ast" and via_cst.parser == "libcst"
    assert via_ast.definitions == via_cst.definitions
    # the new spelling changes no definition record: same names, parameters, annotations, bases, docstrings
    new = parse_module(NEW_SYNTAX, "Lib/greeter.py", prefer="libcst").definitions
    strip = lambda ds: [(d.qualname, d.params, d.returns and d.returns.text, [b.text for b in d.bases], d.docstring)  # noqa: E731
                        for d in ds]
    assert strip(new) == strip(via_ast.definitions)
