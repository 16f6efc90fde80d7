using System.Buffers.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace BoshGateway.Configuration;

/// <summary>
/// Reads <c>Gateway:Prebind:ServerJwkFile</c> once at start-up (the same file ejabberd's <c>jwt_key</c>
/// names). A file that is missing, unreadable, not an <c>oct</c> JWK or shorter than 32 bytes stops
/// start-up with one line naming the key.
/// </summary>
internal sealed class PrebindKeyLoader : IPostConfigureOptions<GatewayOptions>
{
    internal const int MinKeyBytes = 32;
    private const string Key = "Gateway:Prebind:ServerJwkFile";

    public void PostConfigure(string? name, GatewayOptions options)
    {
        var prebind = options.Prebind;
        if (prebind.ServerJwkFile is not { } path)
        {
            return;
        }
        if (Load(path, out var error) is { } key)
        {
            prebind.ServerKey = key;
            return;
        }
        throw new OptionsValidationException(name ?? Options.DefaultName, typeof(GatewayOptions), [$"{Key} '{path}' {error}"]);
    }

    internal static byte[]? Load(string path, out string error)
    {
        error = "";
        try
        {
            using var jwk = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = jwk.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("kty", out var kty) || kty.ValueKind != JsonValueKind.String || kty.GetString() != "oct"
                || !root.TryGetProperty("k", out var k) || k.ValueKind != JsonValueKind.String)
            {
                error = "is not a symmetric JWK ({\"kty\":\"oct\",\"k\":\"…\"}).";
                return null;
            }
            var bytes = Base64Url.DecodeFromChars(k.GetString());
            if (bytes.Length < MinKeyBytes)
            {
                error = $"holds a key of {bytes.Length} bytes; at least {MinKeyBytes} are needed.";
                return null;
            }
            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            error = $"cannot be read: {ex.Message.ReplaceLineEndings(" ")}";
            return null;
        }
    }
}
