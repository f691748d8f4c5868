"""Input and output guards: one validator per file, and the policy that composes them."""
