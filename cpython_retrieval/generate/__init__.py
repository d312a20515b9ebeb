"""Generating questions, in pipeline order: `definitions` (records in `definition_records`, filled by
`definitions_ast` or `definitions_cst`) -> `facts` -> `contexts` (tiers) -> `questions` (+ `question_text`) ->
`multi_hop` -> `perturbations` (+ `perturb`, the edits) -> `drift`. `stages/` runs them, each stage a function of
the previous stage's value."""
