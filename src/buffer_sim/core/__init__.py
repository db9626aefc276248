"""The model core: the world's equations, the decision rule, priorities, parameters, months.

Pure and Mesa-free; imports nothing else from the package.
"""
