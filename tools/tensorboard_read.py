"""Reads a TensorBoard log directory as TensorBoard does and prints what it
found as JSON, for the export tests (Tests/ExportTests):

    python tools/tensorboard_read.py DIR

{"scalars": [[tag, step, value], ...], "images": [[tag, step, height, width], ...],
 "texts": [[tag, step, text], ...]}

Scalars and text through tbparse; images through TensorBoard's own
EventAccumulator (tbparse wants TensorFlow for images), each decoded with
Pillow, whose size is reported.
"""
import io
import json
import sys

from PIL import Image
from tbparse import SummaryReader
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

reader = SummaryReader(sys.argv[1], pivot=False)
scalars = [[r.tag, int(r.step), float(r.value)] for r in reader.scalars.itertuples()]
texts = [[r.tag, int(r.step), str(r.value)] for r in reader.text.itertuples()]
accumulator = EventAccumulator(sys.argv[1], size_guidance={"images": 0})
accumulator.Reload()
images = []
for tag in accumulator.Tags()["images"]:
    for event in accumulator.Images(tag):
        picture = Image.open(io.BytesIO(event.encoded_image_string))
        picture.load()
        images.append([tag, int(event.step), picture.height, picture.width])
print(json.dumps({"scalars": scalars, "images": images, "texts": texts}))
