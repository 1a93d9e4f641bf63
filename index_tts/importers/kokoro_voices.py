"""The kokoro-zh presets: which style tables make each voice, and what we measured about it.

F0 medians are measurements (pyworld, 30 sentences; docs/VOICES.md says how to repeat them); the style
recipes are weights over the eight Mandarin tables of npm ``kokoro-js@1.2.1``.
"""
from __future__ import annotations

#: sha256 of ``package/voices/<name>.bin`` in ``kokoro-js-1.2.1.tgz``.
STOCK_SHA256 = {
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}

TEACHER = "Kokoro-82M teacher voice, not a model of this project"
LACKS = ("voice cloning from a reference clip (its style applies, not its voice)", "seed (output is deterministic)")
_CONTROLS = ("speed, pitch, sentence and comma pauses, the emotion's rate, pitch, contours and loudness and a "
             "reference clip's speaking style work")


def _voice(name: str, gender: str, age: str, what: str, f0: float | None, style: dict[str, float],
           speed: float = 1.0) -> dict:
    return {
        "display_name": f"{name}（Kokoro）",  # the label the UI shows says whose voice it is
        "gender": gender, "age": age,
        "description": f"{what}. {TEACHER} ({' + '.join(f'{w:g}·{n}' for n, w in style.items())}); {_CONTROLS}.",
        "f0_median_hz": f0, "style": style, "speed": speed, "lacks": list(LACKS),
    }


#: voice id -> config entry (display name, gender, age, description, F0 median, style recipe).
PRESETS: dict[str, dict] = {
    "zf_xiaoxiao": _voice("女声·晓晓", "female", "adult", "Clear adult female voice", 239.0, {"zf_xiaoxiao": 1.0}),
    "zf_xiaobei": _voice("女声·晓北", "female", "adult", "Warm adult female voice", 238.0, {"zf_xiaobei": 1.0}),
    "zf_xiaoyi": _voice("女声·晓伊·少女", "female", "young", "Bright young female voice", 296.0, {"zf_xiaoyi": 1.0}),
    "zm_yunyang": _voice("男声·沉稳", "male", "adult", "Deep, steady adult male voice (yunyang)", 103.0,
                         {"zm_yunyang": 1.0}),
    "zm_yunjian": _voice("男声·云健", "male", "adult", "Low adult male voice (yunjian)", 108.0, {"zm_yunjian": 1.0}),
    "zm_yunxi": _voice("男声·云希·青年", "male", "young", "Lighter young adult male voice (yunxi)", 159.0,
                       {"zm_yunxi": 1.0}),
    "zm_yunxia": _voice("少年·云夏", "male", "young", "High, boyish young voice (labelled male by Kokoro)", 285.0,
                        {"zm_yunxia": 1.0}),
    "child_synth": _voice("童声·合成", "child", "child",
                          "Synthetic child-like voice: xiaoyi's style pushed away from a deep male voice "
                          "(extrapolated blend, not a recorded child)", 333.0,
                          {"zf_xiaoyi": 1.25, "zm_yunyang": -0.25}, speed=1.1),
}

MODEL_CARD_TEMPLATE = """# kokoro-zh — Kokoro-82M Mandarin teacher voices

**These are not voices of this project's own model.** They are the Mandarin voices of
Kokoro-82M v1.0 (hexgrad), run as a second engine behind the same `Synthesizer` and fed with
phonemes made by our frontend (numbers, letters, polyphones, tone sandhi and erhua resolved
there, then written in misaki's Mandarin notation by `index_tts/frontend/kokoro_phonemes.py`).
They serve as presets until the project's own multi-voice student model meets its bars
(issue 14).

## Voices

| id | display name | gender | age | F0 median (Hz) | style recipe | description |
|---|---|---|---|---|---|---|
{rows}

`child_synth` is an extrapolated style (a weighted sum with a negative weight), not a recorded
child. Measurements (Whisper CER, F0, real-time factor): docs/VOICES.md.

## Controls

Speed, pitch, sentence and comma pauses, an emotion's rate, pitch level and range, sentence
contours and loudness, and a reference clip's speaking style (pitch level and range, rate,
loudness, pauses, measured against the voice's own neutral reading) apply: the engine opens the
stock graph at its prosody predictor when it loads it (`index_tts/engines/kokoro_graph.py`:
per-token duration, pitch shift, pitch range and energy inputs feeding the predicted F0 and
energy curves; the file on disk is the stock graph). Spectral tilt (an emotion's or a clip's
brightness) does not apply, and these voices are not cloned from a clip. Output is deterministic.

## Licence

{licence}

## Provenance

- ONNX graph: {model_source}; sha256 `{model_sha}`.
- Style tables: {npm}; tarball sha256 `{tgz_sha}`; each Mandarin table pinned by sha256 in
  `index_tts/importers/kokoro_voices.py`.
- Built by `python -m index_tts.importers.kokoro_zh`; every file is listed in `manifest.json`.
"""
