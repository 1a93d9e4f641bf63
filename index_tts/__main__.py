"""``python -m index_tts``: see index_tts/cli.py."""
import sys

from .cli import main

sys.exit(main())
