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

MESSAGES |= {
    # The learner's feedback page (grading/feedback.py).
    "feedback.passed": {"en": "passed", "pt-BR": "passou"},
    "feedback.failed": {"en": "failed", "pt-BR": "falhou"},
    "feedback.timeout": {"en": "timed out", "pt-BR": "excedeu o tempo"},
    "feedback.not_run": {"en": "not run", "pt-BR": "não executado"},
    "feedback.status_graded": {"en": "Graded.", "pt-BR": "Corrigido."},
    "feedback.status_invalid": {
        "en": "Your submission could not be graded:",
        "pt-BR": "Não foi possível corrigir a sua entrega:",
    },
    "feedback.status_timeout": {"en": "Your notebook ran out of time:", "pt-BR": "O seu notebook excedeu o tempo:"},
    "feedback.status_error": {
        "en": "The grader failed on your submission; your instructor will grade it again:",
        "pt-BR": "O corretor falhou na sua entrega; o instrutor vai corrigi-la de novo:",
    },
    "feedback.hidden_test": {"en": "hidden test", "pt-BR": "teste oculto"},
    "feedback.visible_test": {"en": "visible test", "pt-BR": "teste visível"},
    "feedback.hidden_detail": {
        "en": "Hidden tests check your answer on other inputs; their code is not shown.",
        "pt-BR": "Os testes ocultos verificam a sua resposta com outras entradas; o código deles não é mostrado.",
    },
    "feedback.reviewed": {"en": "reviewed", "pt-BR": "revisada"},
    "feedback.awaiting": {"en": "awaiting review", "pt-BR": "aguardando revisão"},
    "feedback.written_answer": {"en": "written answer", "pt-BR": "resposta escrita"},
    "feedback.late": {
        "en": "Submitted {submitted}, {days} day(s) after the due date {due}: late penalty {penalty}%.",
        "pt-BR": "Entregue em {submitted}, {days} dia(s) após o prazo {due}: penalidade por atraso de {penalty}%.",
    },
    "feedback.pending": {
        "en": "{points} points of written answers await review.",
        "pt-BR": "{points} pontos de respostas escritas aguardam revisão.",
    },
    "feedback.solution_cell": {"en": "solution cell", "pt-BR": "célula de solução"},
    "feedback.score": {"en": "Score", "pt-BR": "Nota"},
    "feedback.columns": {
        "en": "<th>test</th><th>result</th><th>points</th><th>details</th>",
        "pt-BR": "<th>teste</th><th>resultado</th><th>pontos</th><th>detalhes</th>",
    },
    "feedback.errors": {"en": "Errors in your solution cells", "pt-BR": "Erros nas suas células de solução"},
    "feedback.graded_at": {"en": "Graded at {when}.", "pt-BR": "Corrigido em {when}."},
    # mlops-course check (grading/check.py).
    "check.title": {
        "en": "Self-check of {name} (visible tests only)",
        "pt-BR": "Autoavaliação de {name} (apenas testes visíveis)",
    },
    "check.pass": {"en": "PASS", "pt-BR": "OK"},
    "check.failed": {"en": "FAILED", "pt-BR": "FALHOU"},
    "check.timeout": {"en": "TIMEOUT", "pt-BR": "TEMPO"},
    "check.not_run": {"en": "NOT RUN", "pt-BR": "NÃO RODOU"},
    "check.hidden_suffix": {
        "en": " (its hidden tests decide these points at grading)",
        "pt-BR": " (os testes ocultos decidem estes pontos na correção)",
    },
    "check.solution_error": {
        "en": "  note: solution cell {grade_id} raised: {message}",
        "pt-BR": "  atenção: a célula de solução {grade_id} levantou: {message}",
    },
    "check.not_runnable": {
        "en": "  the notebook could not be run: {tail}",
        "pt-BR": "  não foi possível executar o notebook: {tail}",
    },
    "check.score": {
        "en": "Score on visible tests: {score} / {total}",
        "pt-BR": "Nota nos testes visíveis: {score} / {total}",
    },
    "check.hidden_points": {
        "en": "Hidden tests decide {points} more points when your exercise is graded.",
        "pt-BR": "Os testes ocultos decidem mais {points} pontos quando o seu exercício for corrigido.",
    },
    "check.no_file": {
        "en": "{path} does not exist; give the path of your exercise notebook, e.g. {example}",
        "pt-BR": "{path} não existe; informe o caminho do notebook do seu exercício, por exemplo {example}",
    },
}
