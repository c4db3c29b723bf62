"""永嘉科技大市场 matching engine: needs <-> achievements. No web framework imports here.

    from matching import Matcher, Document, Hit, IndexFormatError
"""

from . import semantic
from .index import FORMAT_VERSION, KINDS, Config, Document, Hit, IndexFormatError, Matcher
from .thesaurus import Thesaurus, default_thesaurus
from .tokenize import Tokenizer, default_tokenizer

__all__ = [
    "Matcher", "Document", "Hit", "IndexFormatError", "Config", "Thesaurus", "Tokenizer",
    "default_thesaurus", "default_tokenizer", "FORMAT_VERSION", "KINDS", "semantic",
]
