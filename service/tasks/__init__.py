"""Tasks as data: each task is a spec (specs/*.yaml) + a prompt (prompts/<task>/) + an input model."""
