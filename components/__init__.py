"""Few-shot sound event tagging by transfer learning: the building blocks, in three kinds.

``components.audio``  pure audio and data logic, no TFX: readers (DCASE 2017, CSV manifest),
                      the embedded corpus, mixing, MFCC features, tf.Example encoding, real
                      recordings.
``components.model``  pure Keras: the tagger and its transfer methods, training one stage,
                      SavedModel export and serving signatures, plots.
``components.tfx``    thin TFX and Beam wrappers: the mixture Beam job and ExampleGen, Trainer
                      ``run_fn`` modules, gates, reading TFMA results, the schema.
"""
