"""The tip lab: every (model, prompt, scenario) cell writes N tips on the same fixed
context; cells are logged to MLflow, judged with rubric tip-v1 (by a person, any
external judge or a configured LLM) and ranked on a leaderboard.

    augur lab collect -> augur lab judge export / apply (or judge --with) -> augur lab compare
"""
