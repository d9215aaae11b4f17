package dev.lifeline.catalog.meta;

import java.util.List;

/**
 * What an image says about how it was made, as the catalog reads it from the file's own metadata
 * (never from pixels unless stealth reading is on). Absent values are null; {@code loras} is never
 * null.
 *
 * @param tool the writing tool, lower case: {@code a1111}, {@code comfyui}, {@code invokeai},
 *     {@code fooocus}, {@code novelai}, {@code swarmui}, {@code drawthings}, {@code easydiffusion},
 *     {@code custom}
 * @param seed 64-bit seed (ComfyUI and others go past 2^32)
 * @param raw the metadata text as found (infotext, the API graph JSON, …), for display and search
 */
public record ImageMeta(
        String tool,
        String prompt,
        String negative,
        Long seed,
        Integer steps,
        Double cfg,
        String sampler,
        String scheduler,
        String model,
        String modelHash,
        List<Lora> loras,
        Integer width,
        Integer height,
        String raw) {

    public ImageMeta {
        loras = loras == null ? List.of() : List.copyOf(loras);
    }

    /** A LoRA applied to the image, with its weight (null when the tool does not say). */
    public record Lora(String name, Double weight) {}
}
