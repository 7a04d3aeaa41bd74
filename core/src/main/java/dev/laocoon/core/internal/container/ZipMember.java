package dev.laocoon.core.internal.container;

/**
 * One central-directory entry of a zip archive, with what its local header says.
 * {@code dataOffset} is where the member's bytes start (after the local header), -1 when the
 * local header could not be read.
 */
public record ZipMember(String name, String localName, int method, int flags, long crc, long compressedSize,
                       long size, long localHeaderOffset, long dataOffset) {

    public boolean stored() {
        return method == 0;
    }

    public boolean directory() {
        return name.endsWith("/");
    }
}
