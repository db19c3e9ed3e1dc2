"""fastml sample `slow`: sleeps the number of seconds it is sent (JSON or text), then answers (checks 13, 14)."""

import logging
import time

from fastml_engine.modelservice import BaseService


class Inference(BaseService):
    def load_context(self):
        pass

    def infer(self, input_data):
        seconds = float(input_data)
        logging.getLogger(__name__).info("slow infer started")
        deadline = time.monotonic() + seconds
        # Short steps, so that the server's timeout interrupts it promptly (a single long C-level sleep would
        # only be interrupted when it returns).
        while time.monotonic() < deadline:
            time.sleep(0.02)
        return {"slept": seconds}
