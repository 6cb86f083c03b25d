"""`python -m pipeline backtest`: replay past nights of complete weeks with `--as-of` and score
the forecast's odds, beside the old two-point projection, against what happened.

weeks.py picks the weeks and their nights, replay.py runs them (dry runs: nothing is written or
sent), predict.py turns each night into predictions, summary.py scores them, render.py prints
them and command.py is the command line.
"""
