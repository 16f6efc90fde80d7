using System.IO.Compression;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Gzipped request bodies, honest and hostile.</summary>
internal static class Gzip
{
    public static byte[] Compress(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(plain);
        }
        return output.ToArray();
    }

    public static byte[] Decompress(byte[] compressed)
    {
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>
    /// A decompression bomb: <paramref name="plainBytes"/> of the start of a BOSH body followed by zeros,
    /// gzipped to about a thousandth of that (written in 1 MiB pieces: the test never holds it plain).
    /// </summary>
    public static byte[] Bomb(long plainBytes)
    {
        var piece = new byte[1 << 20];
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var start = "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'>"u8;
            gzip.Write(start);
            for (var written = (long)start.Length; written < plainBytes; written += piece.Length)
            {
                gzip.Write(piece, 0, (int)Math.Min(piece.Length, plainBytes - written));
            }
        }
        return output.ToArray();
    }
}
