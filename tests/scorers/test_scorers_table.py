"""Table-driven cases for score_answer: formatting variants that pass, near misses and gaming that fail."""

from __future__ import annotations

import pytest

from cpython_retrieval.question_types import QUESTION_TYPES
from cpython_retrieval.scorers import score_answer

RA = "return_annotation"
CL = "class_location"
AB = "absent_symbol"
BC = "base_classes"
MC = "module_function_count"
DE = "decorators"
DS = "docstring_first_line"
PA = "parameters"
MO = "method_owner"
BL = "base_class_location"
SC = "subclass_count"
IS = "import_source"
IM = "inherited_method"
MD = "method_definer_count"

NP = "NOT PRESENT"
DEC2 = "@staticmethod\n@functools.lru_cache(maxsize=None)"
DECP = "@property\n@abstractmethod"
PARAMS = "self, key, default, *args, **kwargs"
DOC = "Return a new dictionary initialized from an optional positional argument."

RETURN_ANNOTATION = [
    (RA, "Optional[str]", "Optional[str]", True),
    (RA, "Optional[str]", "Optional[ str ]", True),
    (RA, "Optional[str]", "`Optional[str]`", True),
    (RA, "Optional[str]", "-> Optional[str]", True),
    (RA, "Optional[str]", "`-> Optional[str]`", True),
    (RA, "Optional[str]", "The return annotation is `Optional[str]`.", True),
    (RA, "Optional[str]", "The return annotation of `get` is `Optional[str]`.", True),
    (RA, "Optional[str]", "The answer is Optional[str]", True),
    (RA, "Optional[str]", "Answer: Optional[str]", True),
    (RA, "Optional[str]", "**Answer:** `Optional[str]`", True),
    (RA, "Optional[str]", "```python\nOptional[str]\n```", True),
    (RA, "Optional[str]", "<think>maybe int? no, let me look again</think>\nOptional[str]", True),
    (RA, "Optional[str]", "def get(self, key) -> Optional[str]:", True),
    (RA, "Optional[str]", "```python\ndef get(self, key) -> Optional[str]: ...\n```", True),
    (RA, "Optional[str]", "It returns Optional[str].", True),
    (RA, "Optional[str]", "\"Optional[str]\"", True),
    (RA, "'Node'", "'Node'", True),
    (RA, "'Node'", "Node", True),
    (RA, "'Node'", '"Node"', True),
    (RA, "'Node'", "`'Node'`", True),
    (RA, "Optional['Node']", "Optional[Node]", True),
    (RA, "dict[str, list[int]] | None", "dict[str,list[int]]|None", True),
    (RA, "dict[str, list[int]] | None", "`dict[str, list[int]] | None`", True),
    (RA, "None", "None", True),
    (RA, "None", "`None`.", True),
    (RA, "Optional[str]", "Optional[str]:", True),
    (RA, "Literal['a']", "Literal['a']", True),
    # near misses
    (RA, "Optional[str]", "str", False),
    (RA, "Optional[str]", "str | None", False),
    (RA, "Optional[str]", "typing.Optional[str]", False),
    (RA, "Optional[str]", "Optional[bytes]", False),
    (RA, "Literal['a']", "Literal[a]", False),
    (RA, "dict[str, list[int]] | None", "dict[str, list[int]]", False),
    (RA, "None", "", False),
    (RA, "Optional[str]", "Optional[str", False),
    (RA, "Optional[str]", "I don't know.", False),
    (RA, "Optional[str]", "<think>It is Optional[str]", False),
    # gaming
    (RA, "Optional[str]", "`int` or `Optional[str]`", False),
    (RA, "Optional[str]", "Optional[str], int", False),
    (RA, "Optional[str]", "Optional[str]\nint", False),
    (RA, "Optional[str]", "int\nOptional[str]", False),
    (RA, "Optional[str]", "It is `int`. It is `Optional[str]`.", False),
    (RA, "Optional[str]", "```\nint\n```\n```\nOptional[str]\n```", False),
    (
        RA,
        "Optional[str]",
        "The module has `get` returning `Optional[str]`, `put` returning `None` and `keys` returning `list[str]`.",
        False,
    ),
]

CLASS_LOCATION = [
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.py", True),
    (CL, "Lib/json/decoder.py", "json/decoder.py", True),
    (CL, "Lib/json/decoder.py", "Lib\\json\\decoder.py", True),
    (CL, "Lib/json/decoder.py", "./Lib/json/decoder.py", True),
    (CL, "Lib/json/decoder.py", "/Lib/json/decoder.py", True),
    (CL, "Lib/json/decoder.py", "`Lib/json/decoder.py`", True),
    (CL, "Lib/json/decoder.py", "It is defined in `Lib/json/decoder.py`.", True),
    (CL, "Lib/json/decoder.py", "The class `JSONDecoder` is defined in Lib/json/decoder.py.", True),
    (CL, "Lib/json/decoder.py", "**Lib/json/decoder.py**", True),
    (CL, "Lib/json/decoder.py", "Answer: Lib/json/decoder.py", True),
    (CL, "Lib/json/decoder.py", "```\nLib/json/decoder.py\n```", True),
    (CL, "Lib/json/decoder.py", "'Lib/json/decoder.py'", True),
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.py (json/decoder.py)", True),
    (
        CL,
        "Lib/json/decoder.py",
        "I looked through Lib/json/encoder.py and Lib/json/scanner.py first.\nLib/json/decoder.py",
        True,
    ),
    (CL, "Lib/json/decoder.py", "<think>Lib/json/encoder.py? no.</think>Lib/json/decoder.py", True),
    # near misses
    (CL, "Lib/json/decoder.py", "Lib/json/encoder.py", False),
    (CL, "Lib/json/decoder.py", "decoder.py", False),
    (CL, "Lib/json/decoder.py", "Lib/json/decoder", False),
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.pyc", False),
    (CL, "Lib/json/decoder.py", "cpython/Lib/json/decoder.py", False),
    (CL, "Lib/json/decoder.py", NP, False),
    (CL, "Lib/json/decoder.py", "The class is not in the context.", False),
    (CL, "Lib/json/decoder.py", "", False),
    # gaming
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.py or Lib/json/encoder.py", False),
    (CL, "Lib/json/decoder.py", "Lib/json/encoder.py\nLib/json/decoder.py", False),
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.py\nLib/json/encoder.py", False),
    (CL, "Lib/json/decoder.py", "- Lib/json/decoder.py\n- Lib/json/scanner.py\n- Lib/json/encoder.py", False),
    (CL, "Lib/json/decoder.py", "NOT PRESENT (closest: Lib/json/decoder.py)", False),
    (CL, "Lib/json/decoder.py", "Lib/json/decoder.py, or NOT PRESENT", False),
    (CL, "Lib/json/decoder.py", "`Lib/json/encoder.py` / `Lib/json/decoder.py`", False),
]

ABSENT_SYMBOL = [
    (AB, NP, NP, True),
    (AB, NP, "not present", True),
    (AB, NP, "NOT_PRESENT", True),
    (AB, NP, "`NOT PRESENT`", True),
    (AB, NP, "**NOT PRESENT**", True),
    (AB, NP, "NOT PRESENT.", True),
    (AB, NP, "The class is not in the context.", True),
    (AB, NP, "It is not defined in the provided files.", True),
    (AB, NP, "None of the files in the context defines it.", True),
    (AB, NP, "No file in the context defines this class.", True),
    (AB, NP, "The answer is NOT PRESENT", True),
    (AB, NP, "<think>Looked at Lib/json/decoder.py, not there.</think>NOT PRESENT", True),
    (AB, NP, "I checked Lib/json/decoder.py and Lib/json/encoder.py; neither defines it.\nNOT PRESENT", True),
    (AB, NP, "I could not find it in any of the provided files.", True),
    # fails
    (AB, NP, "Lib/json/decoder.py", False),
    (AB, NP, "It is defined in `Lib/collections/__init__.py`.", False),
    (AB, NP, "NOT PRESENT or Lib/json/decoder.py", False),
    (AB, NP, "Lib/json/decoder.py\nNOT PRESENT\nLib/json/decoder.py", False),
    (AB, NP, "Lib/json/decoder.py\nNOT PRESENT", False),
    (AB, NP, "PRESENT", False),
    (AB, NP, "I don't know.", False),
    (AB, NP, "", False),
    (AB, NP, "<think>it must be NOT PRESENT", False),
]

BASE_CLASSES = [
    (BC, "Mapping, metaclass=ABCMeta", "Mapping, metaclass=ABCMeta", True),
    (BC, "Mapping, metaclass=ABCMeta", "Mapping,metaclass = ABCMeta", True),
    (BC, "Mapping, metaclass=ABCMeta", "`Mapping, metaclass=ABCMeta`", True),
    (BC, "Mapping, metaclass=ABCMeta", "(Mapping, metaclass=ABCMeta)", True),
    (BC, "Mapping, metaclass=ABCMeta", "class Foo(Mapping, metaclass=ABCMeta):", True),
    (BC, "Mapping, metaclass=ABCMeta", "Mapping\nmetaclass=ABCMeta", True),
    (BC, "Mapping, metaclass=ABCMeta", "[\"Mapping\", \"metaclass=ABCMeta\"]", True),
    (BC, "Mapping, metaclass=ABCMeta", "```python\nMapping, metaclass=ABCMeta\n```", True),
    (BC, "Mapping, Generic[T]", "[Mapping, Generic[T]]", True),
    (BC, "Mapping, Generic[T]", "(Mapping, Generic[T])", True),
    (BC, "Mapping, Generic[T]", "- Mapping\n- Generic[T]", True),
    (BC, "Mapping, Generic[T]", "The base classes are `Mapping` and `Generic[T]`.", True),
    (BC, "Mapping, Generic[T]", "The class `Foo` inherits from `Mapping`, `Generic[T]`.", True),
    (BC, "Mapping, Generic[T]", "Answer: Mapping, Generic[ T ]", True),
    (BC, "object", "object", True),
    (BC, "object", "`object`.", True),
    (BC, "_collections_abc.MutableMapping", "_collections_abc.MutableMapping", True),
    # near misses
    (BC, "Mapping, metaclass=ABCMeta", "Mapping", False),
    (BC, "Mapping, metaclass=ABCMeta", "Mapping, ABCMeta", False),
    (BC, "Mapping, metaclass=ABCMeta", "metaclass=ABCMeta, Mapping", False),
    (BC, "Mapping, Generic[T]", "Generic[T], Mapping", False),
    (BC, "Mapping, Generic[T]", "Mapping, Generic", False),
    (BC, "Mapping, Generic[T]", "Mapping, Generic[T], object", False),
    (BC, "_collections_abc.MutableMapping", "MutableMapping", False),
    (BC, "object", "None", False),
    # gaming
    (BC, "Mapping", "`Mapping` or `Sequence`", False),
    (BC, "Mapping", "Mapping, Sequence, Set, MutableMapping", False),
    (BC, "Mapping", "`Sequence`. Actually also consider `Mapping`.", False),
]

FUNCTION_COUNT = [
    (MC, "12", "12", True),
    (MC, "12", "12.", True),
    (MC, "12", "`12`", True),
    (MC, "12", "**12**", True),
    (MC, "12", "There are 12 functions.", True),
    (MC, "12", "twelve", True),
    (MC, "12", "Twelve (12).", True),
    (MC, "12", "The answer is 12", True),
    (MC, "12", "Answer: 12", True),
    (MC, "12", "```\n12\n```", True),
    (MC, "12", "<think>I count 11... no, 13? Let me recount: 12.</think>\n12", True),
    (MC, "12", "Lib/base64.py defines 12 module-level functions.", True),
    (MC, "21", "twenty-one", True),
    (MC, "1", "one", True),
    (MC, "1", "There is one function.", True),
    (MC, "0", "0", True),
    (MC, "0", "zero", True),
    (MC, "3", "I counted the top-level defs carefully.\n3", True),
    # near misses
    (MC, "12", "13", False),
    (MC, "12", "eleven", False),
    (MC, "12", "about a dozen", False),
    (MC, "12", "12.5", False),
    (MC, "12", "", False),
    (MC, "12", "-12", False),
    # gaming
    (MC, "12", "12 (or 13)", False),
    (MC, "12", "12 or 13", False),
    (MC, "12", "between 11 and 13", False),
    (MC, "12", "11, 12, 13", False),
    (MC, "12", "11\n12", False),
    (MC, "12", "12\n13", False),
    (MC, "12", "There are 12 functions, one of which is async, plus 3 classes.", False),
    (MC, "12", "```\n12\n```\n```\n13\n```", False),
    (MC, "12", "Answer: 12\nAnswer: 13", False),
    (MC, "12", "<answer>12</answer><answer>13</answer>", False),
    # a final answer that differs from an earlier answer statement contradicts it (was True before issue 12)
    (MC, "12", "The answer is 13. Hmm, wait, recount.\nFinal answer: 12", False),
    (MC, "12", "Answer: 12\n\nThe answer is 12.", True),
]

DECORATORS = [
    (DE, DEC2, DEC2, True),
    (DE, DEC2, "staticmethod\nfunctools.lru_cache(maxsize=None)", True),
    (DE, DEC2, "@staticmethod, @functools.lru_cache(maxsize=None)", True),
    (DE, DEC2, "@staticmethod @functools.lru_cache(maxsize = None)", True),
    (DE, DEC2, "['@staticmethod', '@functools.lru_cache(maxsize=None)']", True),
    (DE, DEC2, "[staticmethod, functools.lru_cache(maxsize=None)]", True),
    (DE, DEC2, "```python\n@staticmethod\n@functools.lru_cache(maxsize=None)\n```", True),
    (DE, DEC2, "```python\n@staticmethod\n@functools.lru_cache(maxsize=None)\ndef f(x):\n    ...\n```", True),
    (DE, DEC2, "- `@staticmethod`\n- `@functools.lru_cache(maxsize=None)`", True),
    (DE, DEC2, "1. @staticmethod\n2. @functools.lru_cache(maxsize=None)", True),
    (DE, DEC2, "Answer:\n@staticmethod\n@functools.lru_cache(maxsize=None)", True),
    (DE, DECP, "```python\n@property\n@abstractmethod\n```", True),
    (DE, DECP, "The decorators are `@property` and `@abstractmethod`.", True),
    (DE, DECP, "`@property`, `@abstractmethod`", True),
    (DE, DECP, "property, abstractmethod", True),
    (DE, "@property", "@property", True),
    (DE, "@property", "property", True),
    (DE, "@property", "`@property`.", True),
    (DE, "@property", "It is decorated with `@property`.", True),
    (DE, DECP, "The decorators are:\n@property\n@abstractmethod", True),
    (DE, DECP, "From top to bottom:\n\n- @property\n- @abstractmethod\n\nBoth come from abc.", True),
    (BC, "Mapping, Generic[T]", "The bases are:\nMapping\nGeneric[T]", True),
    (PA, PARAMS, "Here they are:\nself\nkey\ndefault\n*args\n**kwargs", True),
    # near misses
    (DE, DECP, "@abstractmethod\n@property", False),
    (DE, DECP, "@property", False),
    (DE, DECP, "@property\n@abstractmethod\n@staticmethod", False),
    (DE, DEC2, "@staticmethod\n@functools.lru_cache()", False),
    (DE, DEC2, "@staticmethod\n@lru_cache(maxsize=None)", False),
    (DE, DEC2, "@staticmethod\n@functools.lru_cache(maxsize=128)", False),
    (DE, "@property", "@cached_property", False),
    (DE, "@property", "none", False),
    # gaming
    (DE, "@property", "`@property` or `@cached_property`", False),
    (DE, "@property", "@property\n@cached_property", False),
    (DE, DECP, "Either:\n@property\n@abstractmethod\nor:\n@abstractmethod", False),
]

DOCSTRING = [
    (DS, DOC, DOC, True),
    (DS, DOC, DOC[:-1], True),
    (DS, DOC, DOC + "..", True),
    (DS, DOC, f'"{DOC}"', True),
    (DS, DOC, f'"""{DOC}"""', True),
    (DS, DOC, f"`{DOC}`", True),
    (DS, DOC, "Return  a new dictionary\tinitialized from an optional  positional argument.", True),
    (DS, DOC, f"   {DOC}   ", True),
    (DS, DOC, f"The first line of the docstring is: {DOC}", True),
    (DS, DOC, f'The first line of the docstring is "{DOC}"', True),
    (DS, DOC, f"The answer is {DOC}", True),
    (DS, DOC, f"Answer: {DOC}", True),
    (DS, DOC, f"```\n{DOC}\n```", True),
    (DS, DOC, f"<think>Hmm.</think>{DOC}", True),
    (DS, DOC, f"Here is the first line:\n{DOC}", True),
    (DS, "Return the 'name' of x.", 'Return the "name" of x.', True),
    (DS, "Return the 'name' of x.", "Return the name of x", True),
    (DS, "Open a file: see below.", "Open a file: see below", True),
    (DS, "The answer is computed lazily.", "The answer is computed lazily.", True),
    (DS, "Answer: the value.", "Answer: the value.", True),
    (DS, "The answer is computed lazily.", "computed lazily", False),
    # near misses
    (DS, DOC, "Return a new dictionary.", False),
    (DS, DOC, DOC.lower(), False),
    (DS, DOC, DOC.replace("optional", "required"), False),
    (DS, DOC, DOC + " If no argument is given, an empty dict is created.", False),
    (DS, DOC, "", False),
    # gaming
    (DS, DOC, f"Return a dict.\n{DOC}", False),
    (DS, DOC, f"{DOC}\nReturn a dict.", False),
    (DS, DOC, f"Either '{DOC}' or 'Return a dict.'", False),
    (DS, DOC, f"Maybe 'Return a dict.'\nor, as the file says:\n{DOC}", False),
    (DS, DOC, f"The class docstring says many things. {DOC} It also mentions defaults.", False),
]

PARAMETERS = [
    (PA, PARAMS, PARAMS, True),
    (PA, PARAMS, "self,key,default,*args,**kwargs", True),
    (PA, PARAMS, "(self, key, default, *args, **kwargs)", True),
    (PA, PARAMS, "`self, key, default, *args, **kwargs`", True),
    (PA, PARAMS, "['self', 'key', 'default', '*args', '**kwargs']", True),
    (PA, PARAMS, "self\nkey\ndefault\n*args\n**kwargs", True),
    (PA, PARAMS, "- self\n- key\n- default\n- *args\n- **kwargs", True),
    (PA, PARAMS, "def get(self, key, default=None, *args, **kwargs):", True),
    (PA, PARAMS, "self, key: str, default: int = 0, *args: Any, **kwargs: Any", True),
    (PA, PARAMS, "The parameters are `self`, `key`, `default`, `*args` and `**kwargs`.", True),
    (PA, PARAMS, "Answer: self, key, default, *args, **kwargs", True),
    (PA, PARAMS, "```python\nself, key, default, *args, **kwargs\n```", True),
    (PA, "self, key", "self, *, key", True),
    (PA, "a, b", "a, /, b", True),
    (PA, "self", "self", True),
    (PA, "self", "The only parameter is `self`.", True),
    (PA, "cls, *args", "cls, *args", True),
    # near misses
    (PA, PARAMS, "self, key, default, args, kwargs", False),
    # the question asks for `*` and `**` on the variadics: without them it is another answer
    (PA, "self, level, msg, *args", "self, level, msg, args", False),
    (PA, "self, level, msg, *args", "self, level, msg, *args", True),
    (PA, "self, **kwargs", "self, kwargs", False),
    (PA, "self, **kwargs", "self, *kwargs", False),
    (PA, "self, *args", "self, **args", False),
    (PA, PARAMS, "key, default, *args, **kwargs", False),
    (PA, PARAMS, "self, default, key, *args, **kwargs", False),
    (PA, PARAMS, "self, key, default, *args", False),
    (PA, PARAMS, "self, key, default, *args, **kwargs, extra", False),
    (PA, "self, key", "self key", False),
    (PA, "self, key", "", False),
    (PA, "self", "none", False),
    # gaming
    (PA, "self, key", "`self, key` or `self, key, default`", False),
    (PA, "self, key", "self, key\nself, key, default", False),
]

METHOD_OWNER = [
    (MO, "JSONDecoder", "JSONDecoder", True),
    (MO, "JSONDecoder", "`JSONDecoder`", True),
    (MO, "JSONDecoder", "JSONDecoder.", True),
    (MO, "JSONDecoder", "class JSONDecoder", True),
    (MO, "JSONDecoder", "class JSONDecoder(object):", True),
    (MO, "JSONDecoder", "'JSONDecoder'", True),
    (MO, "JSONDecoder", "The class is `JSONDecoder`.", True),
    (MO, "JSONDecoder", "It is defined in class JSONDecoder.", True),
    (MO, "JSONDecoder", "The method `decode` is defined in `JSONDecoder`.", True),
    (MO, "JSONDecoder", "Answer: **JSONDecoder**", True),
    (MO, "JSONDecoder", "<think>maybe JSONEncoder</think>\n`JSONDecoder`", True),
    (MO, "Outer.Inner", "Outer.Inner", True),
    (MO, "Outer.Inner", "`Outer.Inner`", True),
    (MO, "Outer.Inner", "Outer . Inner", True),
    # near misses
    (MO, "JSONDecoder", "JSONEncoder", False),
    (MO, "JSONDecoder", "jsondecoder", False),
    (MO, "JSONDecoder", "json.decoder.JSONDecoder", False),
    (MO, "JSONDecoder", "JSONDecoder.decode", False),
    (MO, "Outer.Inner", "Inner", False),
    (MO, "Outer.Inner", "Outer", False),
    (MO, "JSONDecoder", "", False),
    (MO, "JSONDecoder", "It is a class.", False),
    # gaming
    (MO, "JSONDecoder", "`JSONEncoder` or `JSONDecoder`", False),
    (MO, "JSONDecoder", "JSONDecoder, JSONEncoder", False),
    (MO, "JSONDecoder", "JSONEncoder\nJSONDecoder", False),
    (MO, "JSONDecoder", "Candidates: `JSONObject`, `JSONDecoder`, `JSONArray`.", False),
]

BASE_CLASS_LOCATION = [
    (BL, "Lib/_compression.py", "Lib/_compression.py", True),
    (BL, "Lib/_compression.py", "_compression.py", True),
    (BL, "Lib/_compression.py", "`Lib/_compression.py`", True),
    (BL, "Lib/_compression.py", "Its first base, BaseStream, lives in Lib/_compression.py.", True),
    (BL, "Lib/_compression.py", "**Lib/_compression.py**", True),
    (BL, "Lib/_compression.py", "Lib/gzip.py", False),
    (BL, "Lib/_compression.py", "Lib/gzip.py or Lib/_compression.py", False),
    (BL, "Lib/_compression.py", "NOT PRESENT", False),
    (BL, "Lib/_compression.py", "compression.py", False),
    (BL, "Lib/_compression.py", "It is not Lib/_compression.py.", False),
]

SUBCLASS_COUNT = [
    (SC, "17", "17", True),
    (SC, "17", "seventeen", True),
    (SC, "17", "There are 17 such classes.", True),
    (SC, "17", "Seventeen (17).", True),
    (SC, "17", "**17**", True),
    (SC, "17", "16", False),
    (SC, "17", "17 or 18", False),
    (SC, "17", "between 16 and 18", False),
    (SC, "17", "many", False),
    (SC, "17", "Answer: 16\n\nFinal answer: 17", False),
]

IMPORT_SOURCE = [
    (IS, "Lib/wsgiref/handlers.py", "Lib/wsgiref/handlers.py", True),
    (IS, "Lib/wsgiref/handlers.py", "wsgiref/handlers.py", True),
    (IS, "Lib/wsgiref/handlers.py", "`Lib/wsgiref/handlers.py`", True),
    (IS, "Lib/wsgiref/handlers.py", "`from .handlers import SimpleHandler` names Lib/wsgiref/handlers.py.", True),
    (IS, "Lib/wsgiref/handlers.py", "**Lib/wsgiref/handlers.py**", True),
    (IS, "Lib/wsgiref/handlers.py", "Lib/wsgiref/simple_server.py", False),
    (IS, "Lib/wsgiref/handlers.py", "Lib/wsgiref/handlers.py or Lib/wsgiref/util.py", False),
    (IS, "Lib/wsgiref/handlers.py", "NOT PRESENT", False),
    (IS, "Lib/wsgiref/handlers.py", "handlers", False),
    (IS, "Lib/wsgiref/handlers.py", "It is not Lib/wsgiref/handlers.py.", False),
]

INHERITED_METHOD = [
    (IM, "BaseHandler", "BaseHandler", True),
    (IM, "BaseHandler", "`BaseHandler`", True),
    (IM, "BaseHandler", "class BaseHandler", True),
    (IM, "BaseHandler", "The method comes from `BaseHandler`.", True),
    (IM, "BaseHandler", "Answer: **BaseHandler**", True),
    (IM, "BaseHandler", "SimpleHandler", False),
    (IM, "BaseHandler", "wsgiref.handlers.BaseHandler", False),
    (IM, "BaseHandler", "`SimpleHandler` or `BaseHandler`", False),
    (IM, "BaseHandler", "Lib/wsgiref/handlers.py", False),
    (IM, "BaseHandler", "BaseHandler\n\nActually, it's SimpleHandler.", False),
]

METHOD_DEFINER_COUNT = [
    (MD, "3", "3", True),
    (MD, "3", "three", True),
    (MD, "3", "Three classes define it.", True),
    (MD, "3", "**3**", True),
    (MD, "3", "Three (3).", True),
    (MD, "3", "2", False),
    (MD, "3", "3 or 4", False),
    (MD, "3", "between 2 and 4", False),
    (MD, "3", "several", False),
    (MD, "3", "Answer: 2\n\nFinal answer: 3", False),
]

CASES = (
    RETURN_ANNOTATION
    + BASE_CLASS_LOCATION
    + SUBCLASS_COUNT
    + IMPORT_SOURCE
    + INHERITED_METHOD
    + METHOD_DEFINER_COUNT
    + CLASS_LOCATION
    + ABSENT_SYMBOL
    + BASE_CLASSES
    + FUNCTION_COUNT
    + DECORATORS
    + DOCSTRING
    + PARAMETERS
    + METHOD_OWNER
)


def _id(case: tuple[str, str, str, bool]) -> str:
    qtype, _, answer, correct = case
    return f"{qtype}-{'pass' if correct else 'fail'}-{answer[:40]!r}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_table(case: tuple[str, str, str, bool]) -> None:
    qtype, expected, answer, correct = case
    result = score_answer(qtype, expected, answer)
    assert result.correct is correct, result
    assert result.value == (1.0 if correct else 0.0)
    assert result.reason
    assert not result.reason.startswith("internal error"), result


def test_table_covers_every_type_with_many_cases() -> None:
    assert len(CASES) >= 150
    for qtype in QUESTION_TYPES:
        rows = [c for c in CASES if c[0] == qtype]
        assert sum(c[3] for c in rows) >= 5, qtype
        assert sum(not c[3] for c in rows) >= 5, qtype
