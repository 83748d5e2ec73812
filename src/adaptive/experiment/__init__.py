"""Randomized experiments between policies (issue 19, item 3).

assign.py   cluster randomization of classes or schools to arms, stratified, seeded, saved
serve.py    the nightly job's per-school step serving each student their arm's policy
analyze.py  the effect on growth and next-response correctness, cluster-robust intervals
            (statsmodels) or randomization inference
power.py    the minimum detectable effect of a cluster-randomized design
"""
