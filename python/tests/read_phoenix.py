"""Reads a split with ``slr_torch.phoenix`` for ``python-phoenix.test.ts`` to compare with
``readPhoenixSplit``.

Reads a JSON object from stdin, ``{"corpus": DIR, "split": "dev", "options": {...}, "out":
FILE}`` (options as :class:`~slr_torch.phoenix.PhoenixSplit` takes them), writes every sample's
frames then keypoints to ``FILE`` as little-endian float32, back to back, and prints
``{"vocabulary": {...}, "samples": [{"id", "signer", "glosses", "glossIds", "frameShape",
"keypointShape", "keypointNames", "offset"}]}`` (``offset``: the sample's first float in FILE).
"""

from __future__ import annotations

import json
import sys

import _support  # noqa: F401  (sys.path, threads)

from slr_torch.phoenix import PhoenixSplit


def main() -> None:
    request = json.load(sys.stdin)
    dataset = PhoenixSplit(request["corpus"], request["split"], **request.get("options", {}))
    samples = []
    offset = 0
    with open(request["out"], "wb") as out:
        for index in range(len(dataset)):
            sample = dataset[index]
            arrays = [sample.frames]
            if sample.keypoints is not None:
                arrays.append(sample.keypoints)
            samples.append(
                {
                    "id": sample.id,
                    "signer": sample.signer,
                    "glosses": list(sample.glosses),
                    "glossIds": sample.gloss_ids,
                    "frameShape": list(sample.frames.shape),
                    "keypointShape": None if len(arrays) == 1 else list(arrays[1].shape),
                    "keypointNames": sample.keypoint_names and list(sample.keypoint_names),
                    "offset": offset,
                }
            )
            for array in arrays:
                out.write(array.contiguous().numpy().astype("<f4").tobytes())
                offset += array.numel()
    json.dump({"vocabulary": dataset.vocabulary.to_json(), "samples": samples}, sys.stdout)


if __name__ == "__main__":
    main()
