"""Evaluation: ASR-based character error rate and speaker similarity of synthesized speech.

    python -m index_tts.eval [--sentences TSV] [--model NAME|PATH] [--emotion LABEL] [--out DIR] [--json]

Reusable pieces (models load lazily, once per process):
``index_tts.eval.asr.transcribe(wav, sr) -> str``, ``index_tts.eval.asr.cer(ref, hyp) -> float``
(normalisation in ``index_tts.eval.textnorm``), ``index_tts.eval.speaker_similarity.similarity``;
benchmarks: ``bench`` (speed and memory, ``python -m index_tts bench``), ``emotion_bench`` (+ ``emotion_transfer``),
``vocoder_bench`` (``python -m index_tts.train vocoder-bench``), ``length_sweep``.
"""
