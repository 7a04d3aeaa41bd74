package dev.laocoon.core.convert;

import dev.laocoon.core.source.ByteSource;

/**
 * The bytes of one storage of a checkpoint: {@code bytes} holds exactly the storage, as
 * {@code dtype} elements ({@code U8} for untyped storages), big-endian when {@code bigEndian}.
 * {@code key} names it in the checkpoint (the zip record or the legacy storage key).
 */
public record Storage(String key, DType dtype, ByteSource bytes, boolean bigEndian) {
}
