package dev.laocoon.batch;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The job's tables. */
final class Schemas {
    private Schemas() {
    }

    /** A listing as read (only {@code uri} is required). */
    static final StructType LISTING = new StructType(new StructField[] {
        DataTypes.createStructField("uri", DataTypes.StringType, true),
        DataTypes.createStructField("repo", DataTypes.StringType, true),
        DataTypes.createStructField("revision", DataTypes.StringType, true),
        DataTypes.createStructField("path", DataTypes.StringType, true),
        DataTypes.createStructField("sha256", DataTypes.StringType, true),
        DataTypes.createStructField("size", DataTypes.LongType, true),
    });

    /** The listing inside the job: plus why a reference could not even be listed (a hub repository that failed). */
    static final StructType WORK = LISTING.add("error", DataTypes.StringType, true);

    static final StructType FINDING = new StructType(new StructField[] {
        DataTypes.createStructField("rule", DataTypes.StringType, false),
        DataTypes.createStructField("severity", DataTypes.StringType, false),
        DataTypes.createStructField("location", DataTypes.StringType, false),
        DataTypes.createStructField("message", DataTypes.StringType, true),
        DataTypes.createStructField("evidence", DataTypes.StringType, true),
    });

    /** One row per distinct content. */
    static final StructType BLOBS = new StructType(new StructField[] {
        DataTypes.createStructField("sha256", DataTypes.StringType, true),
        DataTypes.createStructField("size", DataTypes.LongType, true),
        DataTypes.createStructField("formats", DataTypes.createArrayType(DataTypes.StringType, false), false),
        DataTypes.createStructField("verdict", DataTypes.StringType, false),
        DataTypes.createStructField("error", DataTypes.StringType, true),
        DataTypes.createStructField("findings", DataTypes.createArrayType(FINDING, false), false),
        DataTypes.createStructField("bytesRead", DataTypes.LongType, false),
        DataTypes.createStructField("requests", DataTypes.LongType, false),
        DataTypes.createStructField("transferred", DataTypes.LongType, false),
        DataTypes.createStructField("scanSeconds", DataTypes.DoubleType, false),
        DataTypes.createStructField("laocoonVersion", DataTypes.StringType, false),
        DataTypes.createStructField("kbVersion", DataTypes.StringType, false),
        DataTypes.createStructField("kbGlobals", DataTypes.StringType, false),
        DataTypes.createStructField("kbPickle", DataTypes.StringType, false),
        DataTypes.createStructField("kbOther", DataTypes.StringType, false),
        DataTypes.createStructField("globals", DataTypes.createArrayType(DataTypes.StringType, false), true),
        DataTypes.createStructField("uri", DataTypes.StringType, true),
        DataTypes.createStructField("scannedAt", DataTypes.TimestampType, false),
    });

    static final StructType FILES = new StructType(new StructField[] {
        DataTypes.createStructField("repo", DataTypes.StringType, true),
        DataTypes.createStructField("revision", DataTypes.StringType, true),
        DataTypes.createStructField("path", DataTypes.StringType, true),
        DataTypes.createStructField("uri", DataTypes.StringType, true),
        DataTypes.createStructField("sha256", DataTypes.StringType, true),
    });
}
