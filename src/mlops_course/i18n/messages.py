"""What the package says to learners, in each language: key → {language: text}.

Texts are ``str.format`` templates; every translation keeps the English placeholders.
A test checks that every key has every language and the same placeholders.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # Release: what replaces an answer in the learner's copy.
    "release.code_stub": {"en": "# YOUR CODE HERE", "pt-BR": "# SEU CÓDIGO AQUI"},
    "release.markdown_stub": {"en": "YOUR ANSWER HERE", "pt-BR": "SUA RESPOSTA AQUI"},
    "release.hidden_note": {
        "en": "# (hidden tests of this cell run when your exercise is graded)",
        "pt-BR": "# (os testes ocultos desta célula rodam quando o exercício é corrigido)",
    },
}
