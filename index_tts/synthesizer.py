"""The one facade every front end uses: text (+ emotion, reference, voice) -> 24 kHz speech.

    tts = Synthesizer()                      # default bundle, CUDA when available
    res = tts.synthesize("你好。", emotion_label="happy", intensity=0.8)
    tts.save_wav(res, "out.wav")

Every call becomes one ``SynthesisRequest`` (request.py). Per segment: frontend -> prosody control
(emotion / reference / sliders) -> FastSpeech2.infer -> vocoder.infer -> pauses (audio/splice.py; a
Kokoro teacher voice, engines/kokoro.py, renders it instead). Segments come one by one (``stream``).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional

import numpy as np

from .audio.splice import TAIL_SILENCE_S, SegmentAssembler, append_silence, pause_after
from .engines.kokoro import EMOTION_RATE_SHARE
from .engines.kokoro_clone import TEACHER_CLONE
from .engines.loader import load_voice
from .engines.student import CLONE, StudentVoices
from .engines.teacher_voices import TeacherVoices
from .errors import EmptyTextError, InvalidParameterError, UnknownVoiceError
from .render import TimedSegments, vocode_pieces
from .request import DEFAULTS, LIMITS, SynthesisRequest
from .results import SegmentInfo, SynthesisResult, WordTiming, to_int16

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
    speaker: Optional[np.ndarray]  # speaker embedding [D] for a multi-voice model
    generator: Any
    variance_dropout: bool
    warnings: list[str]
    teacher: Optional[str] = None  # a Kokoro teacher voice id: that engine renders the segments
    runner: Any = None  # the networks that say it (TorchRunner / OnnxRunner; the student's for its voices)
    f0_range: Optional[tuple] = None  # the voice's pitch range (Hz) that pitch controls are held in


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
        threads: Optional[int] = None,
    ) -> None:
        """``backend="onnx"`` runs the bundle's ONNX graphs and never imports PyTorch (the student
        voices and ``voice="clone"`` need ``"torch"``). ``threads``: CPU threads for the networks."""
        from . import hub
        from .encoders.emotion import EmotionEncoder
        from .frontend import Frontend
        from .frontend.split import check_segment_limit

        backend = backend or os.environ.get(BACKEND_ENV, "torch")
        if backend not in BACKENDS:
            raise InvalidParameterError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.backend = backend
        if config_path is not None:
            bundle_dir = Path(config_path).expanduser().resolve().parent
        else:
            bundle_dir = hub.resolve_bundle(model_path or hub.DEFAULT_BUNDLE)
        voice = load_voice(Path(bundle_dir), backend, device=device, use_gpu=use_gpu, fp16=fp16, vocoder=vocoder,
                           threads=threads)
        self.bundle, self.runner, self.vocoder_name = voice.bundle, voice.runner, voice.vocoder_name
        self.device, self.fp16, threads = voice.device, voice.fp16, voice.threads
        self.bundle_dir, self.mel_config = Path(bundle_dir), self.bundle.mel
        self.sample_rate, self.hop = self.mel_config.sample_rate, self.mel_config.hop_length
        settings = self.bundle.inference
        self.variance_dropout = settings.variance_dropout if variance_dropout is None else bool(variance_dropout)
        self.dropout_pitch_gain = settings.dropout_pitch_gain
        # The longest segment this voice says well (measured per bundle); longer sentences are cut.
        self.max_segment_syllables = check_segment_limit(max_segment_syllables or settings.max_segment_syllables)
        self.frontend = Frontend(symbols=self.bundle.symbols)
        self.emotion_encoder = EmotionEncoder.from_settings(self.bundle.emotions)  # the bundle's cap and bias
        self._speaker_encoder, self._lock = None, threading.RLock()
        self.teacher_voices = TeacherVoices(threads=threads)  # listed when installed
        self.student_voices = StudentVoices(self.mel_config, self.bundle.symbols, self.device)
        self._baselines: dict[str, Any] = {}
        log.info("Synthesizer ready: bundle=%s device=%s vocoder=%s backend=%s", self.bundle_dir.name, self.device,
                 self.vocoder_name, backend)

    @property
    def acoustic(self) -> Any:
        """The default voice's acoustic model (a FastSpeech2, or its ONNX twin)."""
        return self.runner.acoustic

    @property
    def vocoder(self) -> Any:
        return self.runner.vocoder

    @vocoder.setter
    def vocoder(self, value: Any) -> None:  # benchmarks swap vocoders in place
        self.runner.vocoder = value

    # ------------------------------------------------------------------ info
    def voices(self) -> list[dict[str, Any]]:
        out = [{"id": k, "display_name": v.display_name} for k, v in self.bundle.speakers.items()]
        out = out or [{"id": "default", "display_name": self.bundle.display_name}]
        students = self.student_voices.describe() if self.backend == "torch" else []
        return out + students + self.teacher_voices.describe()

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
            "student_vocoders": self.student_voices.vocoders() if self.backend == "torch" else [],
            "backend": self.backend,
            "limits": {k: list(v) for k, v in LIMITS.items()},
            "max_segment_syllables": self.max_segment_syllables,
        }

    def _speaker_dim(self) -> int:
        return int(getattr(self.acoustic.cfg, "speaker_embed_dim", 0) or 0)

    def _prepare(self, req: SynthesisRequest, search_progress: Optional[ProgressFn] = None) -> _Prepared:
        """Resolve a validated request for this voice: emotion control, speaker vector, seed."""
        warnings: list[str] = []
        cloning = req.speaker in (CLONE, TEACHER_CLONE)
        if req.speaker == TEACHER_CLONE and req.reference_audio is not None:  # a search the first time (minutes)
            vid = self.teacher_voices.clone(req.reference_audio, self._encoder().embed, search_progress)
            req = replace(req, speaker=vid)
        teacher, notes = self.teacher_voices.prepare(req.speaker, pitch=req.pitch, speed=req.speed,
                                                     reference=req.reference_audio is not None,
                                                     emotion=req.has_emotion)
        warnings.extend(notes)
        reference_audio = None if teacher and not self.teacher_voices.takes_reference(teacher) else req.reference_audio
        student = not teacher and self.backend == "torch" and self.student_voices.has(req.speaker)
        if req.speaker == CLONE and not student:
            raise UnknownVoiceError("voice 'clone' needs the student voices (cache_hub/student-zh) and PyTorch")
        if cloning and reference_audio is None:
            raise InvalidParameterError(f"voice '{req.speaker}' needs a reference clip (reference_audio)")
        spk, baseline_voice, f0_range, runner = None, teacher, None, self.runner  # a teacher: its own baseline
        if student:
            ref_emb = self._encoder().embed_file(reference_audio) if req.speaker == CLONE else None
            spk = self.student_voices.speaker_vector(req.speaker, ref_emb)
            baseline_voice = self.student_voices.nearest(ref_emb)[0] if ref_emb is not None else req.speaker
            f0_range = self.student_voices.f0_range(baseline_voice)
            clone = (reference_audio, spk, req.reference_strength, self._plain_synthesize, req.timbre_strength)
            runner = self.student_voices.runner(req.vocoder, None if ref_emb is None else clone)
        ctrl = req.emotion_control
        if ctrl is None and (req.emotion_label is not None or req.emotion_vector is not None):
            ctrl = self.emotion_encoder.encode(req.emotion_label, req.emotion_vector, req.intensity)
        if reference_audio is not None:
            ref_ctrl, notes = self._reference_control(reference_audio, req.reference_strength, baseline_voice, cloning)
            warnings.extend(notes)
            if ctrl is None:
                ctrl = ref_ctrl
            elif ref_ctrl is not None:
                from .encoders.emotion import combine

                ctrl = combine(ctrl, ref_ctrl)
        if not teacher and not student:
            spk = self._speaker_vector(req.speaker)
        gen = None if req.seed is None else runner.generator(int(req.seed))
        dropout = self.variance_dropout if req.variance_dropout is None else req.variance_dropout
        return _Prepared(req, ctrl, spk, gen, dropout, warnings, teacher, runner, f0_range)

    def _segment_limit(self, prep: _Prepared) -> int:
        """Syllables per segment: the voice's limit is one of frames (docs/LONG_TEXT.md), so slower
        speech (speed x the emotion's rate < 1) gets proportionally fewer; faster keeps the bundle's."""
        rate = float(getattr(prep.emotion, "rate", 1.0) or 1.0) if prep.emotion is not None else 1.0
        tempo = min(1.0, prep.request.speed * rate)
        return max(MIN_SEGMENT_SYLLABLES, int(self.max_segment_syllables * tempo))

    def _reference_control(self, reference_audio: Any, strength: float, voice: Optional[str] = None, clone=False):
        """Prosody of the clip relative to the voice's neutral baseline (measured once per voice), or (None, notes)."""
        from .encoders.style_transfer import measure_voice_baseline, reference_style, style_to_control

        style, notes = reference_style(reference_audio, clone)
        if style is None:
            return None, notes
        key = voice or ""
        if key not in self._baselines:
            self._baselines[key] = measure_voice_baseline(lambda t: self._plain_synthesize(t, voice))
        return style_to_control(style, self._baselines[key], strength), list(getattr(style, "warnings", []))

    def _plain_synthesize(self, text: str, speaker: Optional[str] = None, **kw: Any) -> tuple[np.ndarray, int]:
        res = self.synthesize(text, seed=0, speaker=speaker, **kw)  # fixed seed: baselines must not vary
        return res.wav, res.sample_rate

    def _encoder(self) -> Any:
        """The GE2E speaker encoder (a clip's voice identity for the clones), loaded on first use."""
        from .encoders.speaker import SpeakerEncoder

        with self._lock:
            if self._speaker_encoder is None:
                self._speaker_encoder = SpeakerEncoder()
            return self._speaker_encoder

    def _speaker_vector(self, speaker: Optional[str]):
        if speaker in (None, "", "default"):
            return None
        entry = self.bundle.speakers.get(speaker)
        if entry is None:
            names = ", ".join(v["id"] for v in self.voices())
            raise UnknownVoiceError(f"unknown voice {speaker!r}; available: {names}")
        if entry.embedding is None or self._speaker_dim() == 0:
            return None
        return np.asarray(entry.embedding, dtype=np.float32)

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
        search_progress: Optional[ProgressFn] = None,
        warnings: Optional[list[str]] = None,
        stats: Optional[dict[str, float]] = None,
        pieces: bool = False,
        **aliases: Any,
    ) -> Iterator[tuple[np.ndarray, Optional[SegmentInfo]]]:
        """Yield (audio chunk incl. the pause after it, SegmentInfo) one segment at a time.

        ``pieces=True`` yields the audio as soon as each part of a segment is vocoded (the first
        segment's first half second is vocoded on its own, see ``vocoder/chunked.py``): the info is
        None except on a segment's last piece. The samples are the same either way.

        ``text`` may be a ready ``SynthesisRequest`` (then give no other settings). The settings
        and their ranges: index_tts/request.py; IndexTTS2's names (``emo_vector``, ``emo_alpha``,
        …) are accepted as aliases. ``warnings``: a list that receives the request's warnings
        (unreadable characters, controls a voice ignores…) before the first chunk; ``stats``: a
        dict that accumulates the seconds spent in ``frontend_s``, ``acoustic_s`` and ``vocoder_s``.
        ``progress(done, total)``: segments; ``search_progress(round, rounds)``: the style search of
        a new clip for ``clone_teacher`` (minutes; a known clip is not searched again).
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
        prep = self._prepare(req, search_progress)
        stats = stats if stats is not None else {}
        segments = self._segments(req, prep, whole=progress is not None, stats=stats)
        found = prep.warnings + list(segments.warnings)
        if warnings is not None:
            warnings.extend(found)
        t_cursor = 0.0
        for i, seg in enumerate(segments):
            last = seg.pause_after == "none"  # only the text's very last segment has no pause after it
            parts, n = [], 0
            for piece, done in self._segment_pieces(seg, prep, first=(i == 0), last=last, stats=stats):
                n += len(piece)
                if done is None:  # more of this segment follows
                    if pieces:
                        yield piece, None
                    else:
                        parts.append(piece)
                    continue
                frames, spans = done
                words = None if spans is None else [
                    WordTiming(w, round(t_cursor + a / self.sample_rate, 4), round(t_cursor + b / self.sample_rate, 4))
                    for w, (a, b) in zip(seg.words, spans)]
                info = SegmentInfo(i, seg.text, seg.normalized, list(seg.phones), t_cursor,
                                   t_cursor + n / self.sample_rate, frames, words)
                t_cursor = info.end_s
                if progress is not None:
                    progress(i + 1, segments.total)
                yield (piece if pieces else np.concatenate(parts + [piece])), info

    def _segments(self, req: SynthesisRequest, prep: _Prepared, whole: bool, stats: dict[str, float]):
        """The request's segments: all at once when a progress callback needs their number, else
        sentence by sentence (the first audio waits only for the first sentence)."""
        t0 = time.perf_counter()
        kwargs = dict(pinyin_overrides=req.pinyin_overrides, max_segment_syllables=self._segment_limit(prep))
        source = self.frontend(req.text, **kwargs) if whole else self.frontend.iter_segments(req.text, **kwargs)
        stats["frontend_s"] = stats.get("frontend_s", 0.0) + time.perf_counter() - t0
        stream = TimedSegments(source, stats)  # adds the time each further segment takes
        if stream.empty:
            detail = f" ({'; '.join(stream.warnings)})" if stream.warnings else ""
            raise EmptyTextError(f"nothing readable to synthesize{detail}")
        return stream

    def synthesize(self, text: str | SynthesisRequest, **kwargs: Any) -> SynthesisResult:
        """The whole text at once; same settings as :meth:`stream` (plus ``progress``)."""
        t0 = time.perf_counter()
        warnings: list[str] = []
        chunks, infos, first = [], [], None  # audio chunks, SegmentInfo, seconds to the first chunk
        stats = {"frontend_s": 0.0, "acoustic_s": 0.0, "vocoder_s": 0.0}
        for chunk, info in self.stream(text, warnings=warnings, stats=stats, **kwargs):
            if first is None:
                first = time.perf_counter() - t0
            chunks.append(chunk)
            infos.append(info)
        wav = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        total = time.perf_counter() - t0
        dur = max(len(wav) / self.sample_rate, 1e-9)
        timings = dict(stats, total_s=total, first_audio_s=first or total, audio_s=dur, rtf=total / dur)
        return SynthesisResult(wav=wav, sample_rate=self.sample_rate, segments=infos, timings=timings, warnings=warnings)

    def _segment_pieces(self, seg: Any, prep: _Prepared, first: bool, last: bool,
                        stats: dict[str, float]) -> Iterator[tuple[np.ndarray, Optional[tuple]]]:
        """A segment's audio (with its pause) in pieces; the last carries (frames, word spans or None)."""
        from .encoders.prosody import build_segment_control

        req = prep.request
        control, pauses = build_segment_control(  # initial share: the voice's model's; tempo share: a teacher's
            seg, prep.emotion, speed=req.speed, pitch=req.pitch, rate_share=EMOTION_RATE_SHARE if prep.teacher else 1.0,
            initial_rate_share=getattr(prep.runner.acoustic.cfg, "initial_rate_share", 1.0))
        control.f0_limits_hz = prep.f0_range
        comma_s, sentence_s = req.comma_pause * pauses.comma, req.sentence_pause * pauses.sentence
        after = pause_after(seg.pause_after, last, sentence_s, comma_s)
        if prep.teacher:  # the teacher's graph takes the per-symbol duration, pitch and energy too
            wav, spans = self.teacher_voices.render(seg, prep.teacher, control.speed, comma_s, stats, control)
            yield append_silence(wav, after, self.sample_rate), (len(wav) // self.hop, spans)
            return
        if prep.variance_dropout and control.pitch_shift is not None and self.dropout_pitch_gain != 1.0:
            # under variance dropout the voice overshoots pitch shifts (~1.4x): the bundle's gain undoes it
            control.pitch_shift = np.asarray(control.pitch_shift, dtype=np.float32) * self.dropout_pitch_gain
        emotion = None  # bundles trained with emotion labels take a learned vector instead of rule profiles
        if prep.emotion is not None and getattr(prep.emotion, "embedding", None) is not None:
            emotion = np.asarray(prep.emotion.embedding_array(), dtype=np.float32)
        runner = prep.runner
        t0 = time.perf_counter()
        with self._lock:
            mel, durations = runner.mel(seg.ids, control, prep.speaker, emotion, prep.variance_dropout,
                                        prep.generator)
        stats["acoustic_s"] = stats.get("acoustic_s", 0.0) + (time.perf_counter() - t0)
        asm = SegmentAssembler(seg.phones, durations, seg.context_start, comma_s, self.hop, self.sample_rate,
                               int(mel.shape[2]) * self.hop)
        piece = np.zeros(0, np.float32)
        for piece, more in vocode_pieces(runner, mel, self.hop, first, asm, self._lock, stats):
            if more:
                yield piece, None
        spans = asm.word_spans(seg.word_index, len(seg.words))
        yield append_silence(piece, after, self.sample_rate), (int(asm.durations.sum()), spans)

    @staticmethod
    def save_wav(result: SynthesisResult, path: str | Path) -> Path:
        import soundfile as sf
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), to_int16(result.wav), result.sample_rate, subtype="PCM_16")  # as the API's files
        return path
