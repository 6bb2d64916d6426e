"""Few-shot sound event tagging by transfer learning: audio, model and TFX building blocks.

Pure audio and ML logic lives in modules that do not import TFX (``records``, ``audio_io``,
``dcase``, ``corpus``, ``mixing``, ``features``, ``examples``, ``model``, ``serving``); the
TFX and Beam wrappers (``beam_mixtures``, ``mixture_example_gen``, ``trainer_*``, ``gates``)
stay thin.
"""
