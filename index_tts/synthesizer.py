"""The one facade every front end uses: text (+ emotion, reference, voice) -> 24 kHz speech.

    tts = Synthesizer()                      # default bundle, CUDA when available
    res = tts.synthesize("你好。", emotion_label="happy", intensity=0.8)
    tts.save_wav(res, "out.wav")

Every call becomes one ``SynthesisRequest`` (index_tts/request.py: settings, ranges, defaults,
the emotion rule, ``validate()``). The chain per segment: frontend -> prosody control (emotion /
reference / sliders) -> FastSpeech2.infer -> vocoder.infer -> pauses (audio/splice.py; a Kokoro
teacher voice, index_tts/engines/kokoro.py, renders the same segment instead). Segments are
produced one by one (``stream``), so the first audio of a long text is ready after its first sentence.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional

import numpy as np

from .audio.splice import TAIL_SILENCE_S, append_silence, pause_after, segment_body
from .engines.kokoro import TeacherVoices
from .engines.student import CLONE, StudentVoices
from .errors import EmptyTextError, InvalidParameterError, UnknownVoiceError
from .limits import pick_device as _pick_device
from .request import DEFAULTS, LIMITS, SynthesisRequest
from .results import SegmentInfo, SynthesisResult, to_int16

log = logging.getLogger(__name__)

__all__ = ["LIMITS", "Synthesizer", "SynthesisRequest", "TAIL_SILENCE_S"]

ProgressFn = Callable[[int, int], None]

MIN_SEGMENT_SYLLABLES = 8  # slow speech never cuts segments shorter than this
BACKENDS = ("torch", "onnx")
BACKEND_ENV = "INDEX_TTS_BACKEND"  # default backend when none is passed (start_app.sh --backend sets it)


@dataclass
class _Prepared:
    """A validated request resolved for this voice, shared by every segment of one call."""

    request: SynthesisRequest
    emotion: Any  # EmotionControl | None
    speaker: Any  # torch.Tensor [1, D] | None
    generator: Any
    variance_dropout: bool
    warnings: list[str]
    teacher: Optional[str] = None  # a Kokoro teacher voice id: that engine renders the segments
    acoustic: Any = None  # the student's acoustic model for its voices (None: the bundle's own)
    vocoder: Any = None  # and its vocoder


def _given(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ from the request's defaults (so an alias may stand in for them)."""
    return {k: v for k, v in settings.items() if not (v is getattr(DEFAULTS, k)
                                                     or (isinstance(v, float) and v == getattr(DEFAULTS, k)))}


class Synthesizer:
    MAX_CHARS = 20000

    def __init__(
        self,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        device: Optional[str] = "auto",
        use_gpu: Optional[bool] = None,
        fp16: bool = False,
        vocoder: Optional[str] = None,
        variance_dropout: Optional[bool] = None,
        max_segment_syllables: Optional[int] = None,
        backend: Optional[str] = None,
    ) -> None:
        import torch

        from . import hub
        from .bundle import load_bundle
        from .encoders.emotion import EmotionEncoder
        from .frontend import Frontend
        from .frontend.split import check_segment_limit

        if config_path is not None:
            bundle_dir = Path(config_path).expanduser().resolve().parent
        else:
            bundle_dir = hub.resolve_bundle(model_path or hub.DEFAULT_BUNDLE)
        self.device = _pick_device(device, use_gpu)
        self.fp16 = bool(fp16) and self.device.startswith("cuda")
        self.bundle = load_bundle(bundle_dir, device=self.device)
        self.bundle_dir = Path(bundle_dir)
        self.mel_config = self.bundle.mel
        self.sample_rate = self.mel_config.sample_rate
        self.hop = self.mel_config.hop_length
        self.acoustic = self.bundle.acoustic.eval()
        name = vocoder or self.bundle.default_vocoder
        if name not in self.bundle.vocoders:
            raise InvalidParameterError(f"vocoder {name!r} not in bundle; have {sorted(self.bundle.vocoders)}")
        self.vocoder_name = name
        self.vocoder = self.bundle.vocoders[name].eval()
        if self.fp16:
            self.acoustic.half()
            self.vocoder.half()
        backend = backend or os.environ.get(BACKEND_ENV, "torch")
        if backend not in BACKENDS:
            raise InvalidParameterError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.backend = backend
        if backend == "onnx":  # the networks run in ONNX Runtime; controls and seeds stay exact
            from .onnx.runtime import load_onnx

            self.acoustic, self.vocoder = load_onnx(self.bundle_dir, self.acoustic, name, self.vocoder,
                                                    threads=torch.get_num_threads())
        settings = self.bundle.inference
        self.variance_dropout = settings.variance_dropout if variance_dropout is None else bool(variance_dropout)
        self.dropout_pitch_gain = settings.dropout_pitch_gain
        # The longest segment this voice says well (measured per bundle); longer sentences are cut.
        self.max_segment_syllables = check_segment_limit(max_segment_syllables or settings.max_segment_syllables)
        self.frontend = Frontend(symbols=self.bundle.symbols)
        self.emotion_encoder = EmotionEncoder.from_settings(self.bundle.emotions)  # the bundle's cap and bias
        self._speaker_encoder = None
        self._lock = threading.RLock()
        self._torch = torch
        self.teacher_voices = TeacherVoices(threads=torch.get_num_threads())  # listed when installed
        self.student_voices = StudentVoices(self.mel_config, self.bundle.symbols, self.device)
        self._baselines: dict[str, Any] = {}
        log.info("Synthesizer ready: bundle=%s device=%s vocoder=%s backend=%s", self.bundle_dir.name, self.device,
                 name, backend)

    # ------------------------------------------------------------------ info
    def voices(self) -> list[dict[str, Any]]:
        out = [{"id": k, "display_name": v.display_name} for k, v in self.bundle.speakers.items()]
        out = out or [{"id": "default", "display_name": self.bundle.display_name}]
        return out + self.student_voices.describe() + self.teacher_voices.describe()

    def emotions(self) -> list[dict[str, str]]:
        return self.emotion_encoder.describe()

    def info(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle_dir.name,
            "voices": self.voices(),
            "emotions": self.emotions(),
            "supports_reference_audio": True,
            "supports_voice_cloning": self._speaker_dim() > 0,
            "sample_rate": self.sample_rate,
            "max_chars": self.MAX_CHARS,
            "device": self.device,
            "vocoder": self.vocoder_name,
            "vocoders": sorted(self.bundle.vocoders),
            "backend": self.backend,
            "limits": {k: list(v) for k, v in LIMITS.items()},
            "max_segment_syllables": self.max_segment_syllables,
        }

    def _speaker_dim(self) -> int:
        return int(getattr(self.acoustic.cfg, "speaker_embed_dim", 0) or 0)

    # ------------------------------------------------------------- requests
    def _prepare(self, req: SynthesisRequest) -> _Prepared:
        """Resolve a validated request for this voice: emotion control, speaker vector, seed."""
        warnings: list[str] = []
        teacher, notes = self.teacher_voices.prepare(req.speaker, pitch=req.pitch,
                                                     reference=req.reference_audio is not None,
                                                     emotion=req.has_emotion)
        warnings.extend(notes)
        reference_audio = None if teacher else req.reference_audio
        student = not teacher and self.backend == "torch" and self.student_voices.has(req.speaker)
        if req.speaker == CLONE and not student:
            raise UnknownVoiceError("voice 'clone' needs the student voices (cache_hub/student-zh) and the "
                                    "PyTorch backend")
        if req.speaker == CLONE and reference_audio is None:
            raise InvalidParameterError("voice 'clone' needs a reference clip (reference_audio)")
        spk, baseline_voice = None, None
        if student:
            ref_emb = self._speaker_embedding(reference_audio) if req.speaker == CLONE else None
            spk = self.student_voices.speaker_vector(req.speaker, ref_emb)
            baseline_voice = self.student_voices.nearest(ref_emb)[0] if ref_emb is not None else req.speaker
        ctrl = req.emotion_control
        if ctrl is None and (req.emotion_label is not None or req.emotion_vector is not None):
            ctrl = self.emotion_encoder.encode(req.emotion_label, req.emotion_vector, req.intensity)
        if reference_audio is not None:
            ref_ctrl, ref_warnings = self._reference_control(reference_audio, req.reference_strength, baseline_voice)
            warnings.extend(ref_warnings)
            if ctrl is None:
                ctrl = ref_ctrl
            else:
                from .encoders.style import combine

                ctrl = combine(ctrl, ref_ctrl)
        if not teacher and not student:
            spk = self._speaker_vector(req.speaker)
        gen = None
        if req.seed is not None:
            gen = self._torch.Generator(device=self.device).manual_seed(int(req.seed))
        dropout = self.variance_dropout if req.variance_dropout is None else req.variance_dropout
        return _Prepared(req, ctrl, spk, gen, dropout, warnings, teacher,
                         *(self.student_voices.models() if student else (None, None)))

    def _segment_limit(self, prep: _Prepared) -> int:
        """Syllables per segment for this request. The voice's limit is really one of frames
        (measured: docs/LONG_TEXT.md), so slower speech (speed x the emotion's rate below 1)
        gets proportionally fewer syllables per segment; faster speech keeps the bundle's."""
        rate = float(getattr(prep.emotion, "rate", 1.0) or 1.0) if prep.emotion is not None else 1.0
        tempo = min(1.0, prep.request.speed * rate)
        return max(MIN_SEGMENT_SYLLABLES, int(self.max_segment_syllables * tempo))

    def _reference_control(self, reference_audio: Any, strength: float, voice: Optional[str] = None):
        """Prosody of the clip relative to the voice's own neutral baseline (measured once per voice)."""
        from .encoders.style import analyze_reference, measure_voice_baseline, style_to_control

        style = analyze_reference(reference_audio)
        key = voice or ""
        if key not in self._baselines:
            self._baselines[key] = measure_voice_baseline(lambda t: self._plain_synthesize(t, voice))
        return style_to_control(style, self._baselines[key], strength), list(getattr(style, "warnings", []))

    def _plain_synthesize(self, text: str, speaker: Optional[str] = None) -> tuple[np.ndarray, int]:
        res = self.synthesize(text, seed=0, speaker=speaker)  # fixed seed: the baseline must not vary
        return res.wav, res.sample_rate

    def _speaker_embedding(self, reference_audio: Any) -> np.ndarray:
        """The reference clip's GE2E embedding (voice identity for ``voice="clone"``)."""
        from .encoders.speaker import SpeakerEncoder

        if self._speaker_encoder is None:
            self._speaker_encoder = SpeakerEncoder()
        return self._speaker_encoder.embed_file(reference_audio)

    def _speaker_vector(self, speaker: Optional[str]):
        if speaker in (None, "", "default"):
            return None
        entry = self.bundle.speakers.get(speaker)
        if entry is None:
            names = ", ".join(v["id"] for v in self.voices())
            raise UnknownVoiceError(f"unknown voice {speaker!r}; available: {names}")
        if entry.embedding is None or self._speaker_dim() == 0:
            return None
        return self._torch.tensor(entry.embedding, dtype=self._torch.float32, device=self.device).unsqueeze(0)

    # ------------------------------------------------------------- synthesis
    def stream(
        self,
        text: str | SynthesisRequest,
        *,
        reference_audio: Any = DEFAULTS.reference_audio,
        reference_strength: float = DEFAULTS.reference_strength,
        emotion_label: Optional[str] = DEFAULTS.emotion_label,
        emotion_vector: Any = DEFAULTS.emotion_vector,
        intensity: float = DEFAULTS.intensity,
        emotion_control: Any = DEFAULTS.emotion_control,
        speaker: Optional[str] = DEFAULTS.speaker,
        speed: float = DEFAULTS.speed,
        pitch: float = DEFAULTS.pitch,
        sentence_pause: float = DEFAULTS.sentence_pause,
        comma_pause: float = DEFAULTS.comma_pause,
        pinyin_overrides: Optional[Mapping[str, str]] = DEFAULTS.pinyin_overrides,
        seed: Optional[int] = DEFAULTS.seed,
        variance_dropout: Optional[bool] = DEFAULTS.variance_dropout,
        progress: Optional[ProgressFn] = None,
        warnings: Optional[list[str]] = None,
        stats: Optional[dict[str, float]] = None,
        **aliases: Any,
    ) -> Iterator[tuple[np.ndarray, SegmentInfo]]:
        """Yield (audio chunk incl. the pause after it, SegmentInfo) one segment at a time.

        ``text`` may be a ready ``SynthesisRequest`` (then give no other settings). The settings
        and their ranges: index_tts/request.py; IndexTTS2's names (``emo_vector``, ``emo_alpha``,
        …) are accepted as aliases. ``warnings``: a list that receives the request's warnings
        (unreadable characters, controls a voice ignores…) before the first chunk; ``stats``: a
        dict that accumulates the seconds spent in ``frontend_s``, ``acoustic_s`` and ``vocoder_s``.
        """
        settings = _given(dict(
            reference_audio=reference_audio, reference_strength=reference_strength, emotion_label=emotion_label,
            emotion_vector=emotion_vector, intensity=intensity, emotion_control=emotion_control, speaker=speaker,
            speed=speed, pitch=pitch, sentence_pause=sentence_pause, comma_pause=comma_pause,
            pinyin_overrides=pinyin_overrides, seed=seed, variance_dropout=variance_dropout))
        if isinstance(text, SynthesisRequest):
            if settings or aliases:
                raise TypeError(f"give settings in the SynthesisRequest, not also as {sorted({**settings, **aliases})}")
            req = text
        else:
            req = SynthesisRequest.from_kwargs(text, **settings, **aliases)
        req = req.validate(max_chars=self.MAX_CHARS)
        prep = self._prepare(req)
        stats = stats if stats is not None else {}
        t_front = time.perf_counter()
        utt = self.frontend(req.text, pinyin_overrides=req.pinyin_overrides,
                            max_segment_syllables=self._segment_limit(prep))
        stats["frontend_s"] = stats.get("frontend_s", 0.0) + time.perf_counter() - t_front
        found = prep.warnings + list(utt.warnings)
        if warnings is not None:
            warnings.extend(found)
        if not utt.segments:
            detail = f" ({'; '.join(utt.warnings)})" if utt.warnings else ""
            raise EmptyTextError(f"nothing readable to synthesize{detail}")
        total = len(utt.segments)
        t_cursor = 0.0
        for i, seg in enumerate(utt.segments):
            chunk, frames = self._segment_audio(seg, prep, last=(i == total - 1), stats=stats)
            info = SegmentInfo(i, seg.text, seg.normalized, list(seg.phones), t_cursor,
                               t_cursor + len(chunk) / self.sample_rate, frames)
            t_cursor = info.end_s
            if progress is not None:
                progress(i + 1, total)
            yield chunk, info

    def synthesize(self, text: str | SynthesisRequest, **kwargs: Any) -> SynthesisResult:
        """The whole text at once; same settings as :meth:`stream` (plus ``progress``)."""
        t0 = time.perf_counter()
        warnings: list[str] = []
        chunks: list[np.ndarray] = []
        infos: list[SegmentInfo] = []
        first = None
        stats = {"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0}
        for chunk, info in self.stream(text, warnings=warnings, stats=stats, **kwargs):
            if first is None:
                first = time.perf_counter() - t0
            chunks.append(chunk)
            infos.append(info)
        wav = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        total = time.perf_counter() - t0
        dur = max(len(wav) / self.sample_rate, 1e-9)
        timings = dict(stats)
        timings.update(total_s=total, first_audio_s=first or total, audio_s=dur, rtf=total / dur)
        return SynthesisResult(wav=wav, sample_rate=self.sample_rate, segments=infos, timings=timings, warnings=warnings)

    def _segment_audio(self, seg: Any, prep: _Prepared, last: bool, stats: dict[str, float]) -> tuple[np.ndarray, int]:
        from .encoders.prosody import build_segment_control

        torch, req = self._torch, prep.request
        control, pauses = build_segment_control(seg, prep.emotion, speed=req.speed, pitch=req.pitch)
        comma_s, sentence_s = req.comma_pause * pauses.comma, req.sentence_pause * pauses.sentence
        after = pause_after(seg.pause_after, last, sentence_s, comma_s)
        if prep.teacher:  # speed x the emotion's rate and the pauses apply; pitch/energy do not
            wav = self.teacher_voices.render(seg, prep.teacher, control.speed, comma_s, stats)
            return append_silence(wav, after, self.sample_rate), len(wav) // self.hop
        if prep.variance_dropout and control.pitch_shift is not None and self.dropout_pitch_gain != 1.0:
            # Under variance dropout the voice overshoots requested pitch shifts (measured ~1.4x);
            # the bundle's calibrated gain keeps emotion profiles at their designed size.
            control.pitch_shift = np.asarray(control.pitch_shift, dtype=np.float32) * self.dropout_pitch_gain
        ids = torch.tensor([seg.ids], dtype=torch.long, device=self.device)
        emotion = None
        if prep.emotion is not None and getattr(prep.emotion, "embedding", None) is not None:
            # Bundles trained with emotion labels take a learned vector instead of rule profiles.
            emotion = torch.tensor(prep.emotion.embedding_array(), dtype=torch.float32, device=self.device)[None]
        with self._lock, torch.inference_mode():
            t0 = time.perf_counter()
            acoustic = self.acoustic if prep.acoustic is None else prep.acoustic
            out = acoustic.infer(ids, control=control, speaker=prep.speaker, emotion=emotion,
                                      variance_dropout=prep.variance_dropout, generator=prep.generator)
            t1 = time.perf_counter()
            if prep.vocoder is not None:  # a student voice: its own vocoder, in float32
                wav = prep.vocoder.infer(out.mel.float())[0].float().cpu().numpy()
            else:
                wav = self.vocoder.infer(out.mel.half() if self.fp16 else out.mel)[0].float().cpu().numpy()
            t2 = time.perf_counter()
        stats["acoustic_s"] = stats.get("acoustic_s", 0.0) + (t1 - t0)
        stats["vocoder_s"] = stats.get("vocoder_s", 0.0) + (t2 - t1)
        durations = out.durations[0].cpu().numpy().astype(np.int64)
        wav, durations = segment_body(wav, seg.phones, durations, seg.context_start, comma_s, self.hop,
                                      self.sample_rate)
        return append_silence(wav, after, self.sample_rate), int(durations.sum())

    # ------------------------------------------------------------------ I/O
    @staticmethod
    def save_wav(result: SynthesisResult, path: str | Path) -> Path:
        import soundfile as sf

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), to_int16(result.wav), result.sample_rate, subtype="PCM_16")  # as the API's files
        return path
