#!/usr/bin/env python3
"""Generate an outputs folder of small, realistic generated images for the catalog benchmark.

Stdlib only, deterministic for a given --seed. Each file carries the metadata its tool writes,
in the tool's own format, and unique pixels (so no two files share content):
  * a1111:   PNG, tEXt "parameters" = A1111 infotext (prompt, "Negative prompt:", the
             "Steps: …, Sampler: …, Lora hashes: \"…\"" line)
  * comfyui: PNG, tEXt "prompt" = the API graph (CheckpointLoaderSimple, LoraLoader,
             CLIPTextEncode ×2, KSampler, EmptyLatentImage, SaveImage) and tEXt "workflow"
  * jpeg:    JPEG (baseline, 8x8 grey) with an EXIF UserComment "UNICODE\\0" + UTF-16BE infotext,
             as A1111 and Forge write for .jpg
Images are metadata-only in size (a few hundred bytes of pixels): the benchmark measures
indexing, not hashing.

  gen_catalog.py --out /tmp/catalog-bench/outputs --count 20000 --seed 1
"""
import argparse
import json
import os
import random
import struct
import zlib

WORDS = ("girl boy cat dog castle forest city night sunset portrait landscape watercolor oil painting "
         "cyberpunk steampunk fantasy dragon knight witch robot spaceship ocean mountain river snow rain "
         "neon lights hair eyes smile dress armor sword flower garden tree sky clouds moon stars fire ice "
         "masterpiece best quality detailed intricate cinematic lighting bokeh 8k ultra realistic anime "
         "illustration sketch red blue green golden silver black white pink purple hatsune miku kimono "
         "street cafe library tower bridge lake desert jungle temple ruins village harbor train car").split()
NEGATIVE = "lowres bad anatomy bad hands text error missing fingers extra digit cropped worst quality jpeg artifacts blurry".split()
MODELS = ["sd_xl_base_1.0", "flux1-dev", "z-image-turbo", "ponyDiffusionV6XL", "juggernautXL_v9", "dreamshaper_8",
          "realisticVision_v51", "animagineXL_v31", "sd_v1-5", "sd3.5_large"]
SAMPLERS = ["Euler a", "Euler", "DPM++ 2M", "DPM++ 2M SDE", "DPM++ SDE", "DDIM", "UniPC", "Heun", "LMS", "DPM2"]
COMFY_SAMPLERS = ["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "ddim", "uni_pc", "heun"]
SCHEDULERS = ["karras", "normal", "exponential", "sgm_uniform", "simple"]
LORAS = ["add_detail", "more_details", "LCM_LoRA", "hands_fix", "ghibli_style", "pixel_art", "film_grain",
         "eyes_detail", "lowra", "epi_noiseoffset"]


def chunk(ctype, data):
    return (struct.pack(">I", len(data)) + ctype + data
            + struct.pack(">I", zlib.crc32(data, zlib.crc32(ctype)) & 0xFFFFFFFF))


def png(texts, rnd, side=16):
    raw = b"".join(b"\x00" + bytes(rnd.getrandbits(8) for _ in range(side * 3)) for _ in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    out = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", ihdr)]
    for k, v in texts:
        out.append(chunk(b"tEXt", k.encode("latin-1") + b"\x00" + v.encode("latin-1", "replace")))
    out.append(chunk(b"IDAT", zlib.compress(raw, 1)))
    out.append(chunk(b"IEND", b""))
    return b"".join(out)


def jpeg_with_usercomment(text, rnd):
    # EXIF APP1: TIFF (MM) with IFD0 → ExifIFD pointer → UserComment (0x9286), UNDEFINED
    uc = b"UNICODE\x00" + text.encode("utf-16-be")
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, 26) + struct.pack(">I", 0)
    exif_ifd = struct.pack(">H", 1) + struct.pack(">HHII", 0x9286, 7, len(uc), 44) + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + exif_ifd + uc
    app1 = b"Exif\x00\x00" + tiff
    soi = b"\xff\xd8"
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    # a tiny valid baseline JPEG body: 8x8 grey, DC-only; a random comment keeps every file unique
    com = b"\xff\xfe" + struct.pack(">H", 2 + 16) + bytes(rnd.getrandbits(8) for _ in range(16))
    dqt = b"\xff\xdb\x00\x43\x00" + bytes([1] * 64)
    sof = b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
    dht_dc = b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00"
    dht_ac = b"\xff\xc4\x00\x14\x10" + bytes([1] + [0] * 15) + b"\x00"
    sos = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    scan = b"\x00"  # DC diff category 0, then EOB (AC symbol 0x00)
    return soi + seg + com + dqt + sof + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


def prompt(rnd, n):
    return ", ".join(rnd.choice(WORDS) if rnd.random() < 0.6 else " ".join(rnd.sample(WORDS, 2)) for _ in range(n))


def a1111_infotext(rnd, i):
    loras = rnd.sample(LORAS, rnd.randint(0, 2))
    p = prompt(rnd, rnd.randint(8, 25)) + "".join(" <lora:%s:%.1f>" % (l, rnd.choice([0.5, 0.7, 0.8, 1.0])) for l in loras)
    neg = ", ".join(rnd.sample(NEGATIVE, rnd.randint(3, 8)))
    model = rnd.choice(MODELS)
    w, h = rnd.choice([(512, 512), (768, 768), (1024, 1024), (832, 1216), (1216, 832)])
    line = ("Steps: %d, Sampler: %s, Schedule type: %s, CFG scale: %s, Seed: %d, Size: %dx%d, Model hash: %08x, "
            "Model: %s, Version: f2.0.1v1.10.1") % (
        rnd.randint(8, 50), rnd.choice(SAMPLERS), rnd.choice(["Karras", "Automatic"]),
        rnd.choice([4, 5, 6, 6.5, 7, 7.5, 8]), rnd.getrandbits(32), w, h, rnd.getrandbits(32), model)
    if loras:
        line += ', Lora hashes: "%s"' % ", ".join("%s: %012x" % (l, rnd.getrandbits(48)) for l in loras)
    return "%s\nNegative prompt: %s\n%s" % (p, neg, line)


def comfy_graph(rnd):
    lora = rnd.choice(LORAS)
    g = {
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": rnd.choice(MODELS) + ".safetensors"}},
        "10": {"class_type": "LoraLoader", "inputs": {"lora_name": lora + ".safetensors", "strength_model": 0.8,
                                                      "strength_clip": 0.8, "model": ["4", 0], "clip": ["4", 1]}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": prompt(rnd, rnd.randint(8, 25)), "clip": ["10", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": ", ".join(rnd.sample(NEGATIVE, 4)), "clip": ["10", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {"seed": rnd.getrandbits(50), "steps": rnd.randint(8, 40),
                                                   "cfg": rnd.choice([1.0, 3.5, 7.0, 8.0]),
                                                   "sampler_name": rnd.choice(COMFY_SAMPLERS),
                                                   "scheduler": rnd.choice(SCHEDULERS), "denoise": 1.0,
                                                   "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0],
                                                   "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}},
    }
    workflow = {"last_node_id": 10, "nodes": [{"id": int(k), "type": v["class_type"]} for k, v in g.items()]}
    return json.dumps(g), json.dumps(workflow)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    kinds = ["a1111", "comfyui", "jpeg"]
    for i in range(a.count):
        rnd = random.Random(a.seed * 1_000_003 + i)
        kind = kinds[i % 3]
        folder = os.path.join(a.out, "2026-11-%02d" % (1 + (i // 1000) % 30))
        os.makedirs(folder, exist_ok=True)
        if kind == "a1111":
            data, name = png([("parameters", a1111_infotext(rnd, i))], rnd), "%05d-a1111.png" % i
        elif kind == "comfyui":
            p, w = comfy_graph(rnd)
            data, name = png([("prompt", p), ("workflow", w)], rnd), "ComfyUI_%05d_.png" % i
        else:
            data, name = jpeg_with_usercomment(a1111_infotext(rnd, i), rnd), "%05d-forge.jpg" % i
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
