package dev.laocoon.core.internal.container;

/**
 * One central-directory entry of a zip archive, with what its local header says.
 * {@code dataOffset} is where the member's bytes start (after the local header), -1 when the
 * local header could not be read.
 */
public record ZipMember(String name, String localName, int method, int flags, long crc, long compressedSize,
                       long size, long localHeaderOffset, long dataOffset, int madeBy, long externalAttributes) {

    /**
     * A Unix symbolic link (made on Unix, mode S_IFLNK in the high 16 bits of the external
     * attributes): Info-ZIP's unzip extracts it as a link to the member's content.
     */
    public boolean symlink() {
        return (madeBy >> 8) == 3 && ((externalAttributes >>> 16) & 0170000) == 0120000;
    }

    public boolean stored() {
        return method == 0;
    }

    public boolean directory() {
        return name.endsWith("/");
    }
}
