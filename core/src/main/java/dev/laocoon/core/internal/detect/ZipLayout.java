package dev.laocoon.core.internal.detect;

import dev.laocoon.core.Format;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipMember;
import java.util.HashSet;
import java.util.Set;

/**
 * What a zip archive is, decided from its member names in one place for the scan, the converter
 * and inspect alike: a torch.save checkpoint ({@code PREFIX/data.pkl}), a TorchScript archive (a
 * checkpoint with {@code code/}), a Keras v3 archive ({@code config.json} and {@code metadata.json}
 * and no {@code data.pkl}), an .npz (only {@code .npy} members) or a plain zip.
 *
 * @param format   the archive's format
 * @param dataPkl  the checkpoint's {@code data.pkl} member, or null
 * @param prefix   the checkpoint's record prefix ({@code archive/}), or null
 * @param code     TorchScript source is present ({@code code/})
 * @param npz      every member is a {@code .npy} array
 * @param names    every member name
 */
public record ZipLayout(Format format, ZipMember dataPkl, String prefix, boolean code, boolean npz, Set<String> names) {

    public static ZipLayout classify(ZipArchive zip) {
        Set<String> names = new HashSet<>();
        ZipMember pkl = zip.torchDataPkl();
        boolean code = false;
        boolean npz = !zip.entries().isEmpty();
        for (ZipMember e : zip.entries()) {
            names.add(e.name());
            if (e.name().contains("/code/") || e.name().startsWith("code/")) {
                code = true;
            }
            npz &= e.name().endsWith(".npy");
        }
        String prefix = pkl == null ? null : pkl.name().substring(0, pkl.name().length() - "data.pkl".length());
        code &= pkl != null; // a code/ folder in an archive that is no checkpoint is not TorchScript
        Format f;
        if (pkl == null && names.contains("config.json") && names.contains("metadata.json")) {
            f = Format.KERAS_V3;
        } else if (pkl != null) {
            f = code || names.contains(prefix + "constants.pkl") ? Format.TORCHSCRIPT : Format.PYTORCH_ZIP;
        } else {
            f = Format.ZIP;
        }
        return new ZipLayout(f, pkl, prefix, code, npz, Set.copyOf(names));
    }

    /** A torch.save or torch.jit.save archive. */
    public boolean torch() {
        return dataPkl != null;
    }
}
