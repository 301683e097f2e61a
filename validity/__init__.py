"""Training validity: how well the reader, the customer and the rubric follow what the agent
meant, measured on a labelled corpus (`make validity`, docs/validity.md)."""
