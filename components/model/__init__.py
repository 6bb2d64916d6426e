"""The tagger (pure Keras): networks, transfer methods, training, export, plots."""
