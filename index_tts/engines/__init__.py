"""Second synthesis engines behind the ``Synthesizer`` facade (the Kokoro teacher voices)."""
