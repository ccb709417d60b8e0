"""winrewrite: turn raw notes about a win into one polished, quantified accomplishment statement."""
