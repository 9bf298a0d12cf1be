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

MESSAGES |= {
    # Argument checks (mlops_course.checks): what a learner reads when a call gets bad input.
    "checks.frame_rows": {
        "en": "a DataFrame with {rows} rows and columns {columns}",
        "pt-BR": "um DataFrame com {rows} linhas e as colunas {columns}",
    },
    "checks.series": {"en": "a Series of {count} values", "pt-BR": "uma Series de {count} valores"},
    "checks.not_frame": {
        "en": "{name} must be a pandas DataFrame, got {got}.",
        "pt-BR": "{name} precisa ser um DataFrame do pandas, mas recebeu {got}.",
    },
    "checks.missing_columns": {
        "en": "{name} lacks the column(s) {missing}; it has {columns}. Required: {required}.",
        "pt-BR": "{name} não tem a(s) coluna(s) {missing}; tem {columns}. Obrigatórias: {required}.",
    },
    "checks.no_rows": {
        "en": "{name} has no rows; pass at least one record.",
        "pt-BR": "{name} não tem linhas; passe pelo menos um registro.",
    },
    "checks.not_numbers": {
        "en": "{name} must hold numbers, got {count} value(s) that are not, e.g. {examples}.",
        "pt-BR": "{name} precisa conter números, mas tem {count} valor(es) que não são, por exemplo {examples}.",
    },
    "checks.number": {
        "en": "{name} must be a number{range}, got {got}.",
        "pt-BR": "{name} precisa ser um número{range}, mas recebeu {got}.",
    },
    "checks.finite": {
        "en": "{name} must be a finite number{range}, got {got}.",
        "pt-BR": "{name} precisa ser um número finito{range}, mas recebeu {got}.",
    },
    "checks.whole": {"en": "a whole number >= {low}", "pt-BR": "um número inteiro >= {low}"},
    "checks.whole_high": {"en": " and <= {high}", "pt-BR": " e <= {high}"},
    "checks.must_be": {
        "en": "{name} must be {allowed}, got {got}.",
        "pt-BR": "{name} precisa ser {allowed}, mas recebeu {got}.",
    },
    "checks.choice": {
        "en": "{name} must be one of {allowed}; got {got}.",
        "pt-BR": "{name} precisa ser um destes: {allowed}; recebeu {got}.",
    },
    "checks.names": {
        "en": "{name} must be a name or a list of names, got {got}.",
        "pt-BR": "{name} precisa ser um nome ou uma lista de nomes, mas recebeu {got}.",
    },
    "checks.names_strings": {
        "en": "{name} must hold names (strings), got {got}.",
        "pt-BR": "{name} precisa conter nomes (strings), mas recebeu {got}.",
    },
    "checks.unknown_names": {
        "en": "{name} has unknown name(s) {unknown}; allowed: {allowed}.",
        "pt-BR": "{name} tem nome(s) desconhecido(s) {unknown}; permitidos: {allowed}.",
    },
    "checks.a_function": {"en": "a function", "pt-BR": "uma função"},
    "checks.callable": {
        "en": "{name} must be {what} that can be called, got {got}{hint}.",
        "pt-BR": "{name} precisa ser {what} que possa ser chamada, mas recebeu {got}{hint}.",
    },
    "checks.url_hint": {
        "en": " (a URL is not; wrap it in a client, e.g. ModelHttpClient(url).predict)",
        "pt-BR": " (uma URL não é; use um cliente, por exemplo ModelHttpClient(url).predict)",
    },
    "checks.path_type": {
        "en": "{name} must be a path (a string or pathlib.Path), got {got}.",
        "pt-BR": "{name} precisa ser um caminho (uma string ou pathlib.Path), mas recebeu {got}.",
    },
    "checks.path_missing": {
        "en": "{name} must be {what}; {path} is not.",
        "pt-BR": "{name} precisa ser {what}; {path} não é.",
    },
    "checks.file": {"en": "an existing file", "pt-BR": "um arquivo existente"},
    "checks.dir": {"en": "an existing folder", "pt-BR": "uma pasta existente"},
    "checks.any": {"en": "an existing path", "pt-BR": "um caminho existente"},
    "checks.in": {"en": " in {interval}", "pt-BR": " em {interval}"},
}

MESSAGES |= {
    # Plot titles and axis labels the package draws.
    "plot.debt_caption": {
        "en": "box areas are illustrative, after Sculley et al. (NeurIPS 2015), figure 1",
        "pt-BR": "as áreas das caixas são ilustrativas, conforme Sculley et al. (NeurIPS 2015), figura 1",
    },
    "plot.lifecycle_stage": {"en": "lifecycle stage", "pt-BR": "etapa do ciclo de vida"},
    "plot.tool": {"en": "tool", "pt-BR": "ferramenta"},
    "plot.landscape_title": {
        "en": "The MLOps tool landscape mapped onto the lifecycle",
        "pt-BR": "O panorama de ferramentas de MLOps sobre o ciclo de vida",
    },
    "plot.practices": {"en": "practices in place (%)", "pt-BR": "práticas adotadas (%)"},
    "plot.area": {"en": "area", "pt-BR": "área"},
    "plot.maturity_title": {
        "en": "Maturity self-assessment: level {level}",
        "pt-BR": "Autoavaliação de maturidade: nível {level}",
    },
    "plot.alert_threshold": {"en": "alert threshold {threshold}", "pt-BR": "limiar de alerta {threshold}"},
    "plot.alert": {"en": "alert", "pt-BR": "alerta"},
    "plot.per_window": {"en": "{column} per window", "pt-BR": "{column} por janela"},
    "plot.window": {"en": "window", "pt-BR": "janela"},
    "plot.latency": {"en": "latency (ms)", "pt-BR": "latência (ms)"},
    "plot.requests": {"en": "requests", "pt-BR": "requisições"},
    "plot.serving_title": {
        "en": "Managing a model in production: the loop this module builds",
        "pt-BR": "Gerenciando um modelo em produção: o ciclo que este módulo constrói",
    },
    "plot.retrain_on_drift": {
        "en": "retrain when monitoring sees drift",
        "pt-BR": "retreinar quando o monitoramento detecta drift",
    },
    "plot.architecture_x": {
        "en": "lifecycle stage: data → build → store → serve → operate",
        "pt-BR": "etapa do ciclo de vida: dados → build → armazenar → servir → operar",
    },
    "plot.components": {"en": "components", "pt-BR": "componentes"},
    "plot.architecture_title": {
        "en": "Reference architecture of the ML platform (course tool, module)",
        "pt-BR": "Arquitetura de referência da plataforma de ML (ferramenta do curso, módulo)",
    },
    "plot.module": {"en": "module", "pt-BR": "módulo"},
}

MESSAGES |= {
    # mlops-course submit (grading/submission.py).
    "submit.not_submitted": {"en": "not submitted: {error}", "pt-BR": "não entregue: {error}"},
    "submit.self_check": {
        "en": "Self-check: {score} / {total} on the visible tests",
        "pt-BR": "Autoavaliação: {score} / {total} nos testes visíveis",
    },
    "submit.failing": {"en": " (failing: {tests})", "pt-BR": " (falhando: {tests})"},
    "submit.hand_in": {"en": "Hand in this file: {target}", "pt-BR": "Entregue este arquivo: {target}"},
    "submit.details": {
        "en": "  exercise {exercise}, student {student}, sha256 {sha}…",
        "pt-BR": "  exercício {exercise}, aluno {student}, sha256 {sha}…",
    },
    "submit.lost_tests": {
        "en": "{name} has lost its test cell(s) {cells}. Take a fresh copy of exercises/{stem}.ipynb, "
        "paste your answers into its solution cells, and submit that.",
        "pt-BR": "{name} perdeu a(s) célula(s) de teste {cells}. Pegue uma cópia nova de exercises/{stem}.ipynb, "
        "cole as suas respostas nas células de solução e entregue essa cópia.",
    },
    "submit.not_current": {
        "en": "{name} is not the current release of {stem}: test cell(s) {cells} differ (an older release, or "
        "edited tests). Update the course (git pull), copy your answers into the new exercises/{stem}.ipynb, "
        "and submit that.",
        "pt-BR": "{name} não é a versão atual de {stem}: a(s) célula(s) de teste {cells} diferem (uma versão "
        "antiga ou testes editados). Atualize o curso (git pull), copie as suas respostas para o novo "
        "exercises/{stem}.ipynb e entregue esse arquivo.",
    },
}
