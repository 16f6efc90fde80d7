using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace BoshGateway.Configuration;

/// <summary>
/// Reads every configured <c>TrustedCaFile</c> (Default and per domain) once, when the options are built at
/// start-up, so that no connect touches the disk. A file that is missing, unreadable or holds no PEM
/// certificate stops start-up with one line naming its key.
/// </summary>
internal sealed class TrustedCaLoader : IPostConfigureOptions<GatewayOptions>
{
    public void PostConfigure(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        var defaults = options.Backends.Default;
        defaults.TrustedCa = Load(errors, "Gateway:Backends:Default:TrustedCaFile", defaults.TrustedCaFile);
        foreach (var (domain, entry) in options.Backends.Domains)
        {
            entry.TrustedCa = Load(errors, $"Gateway:Backends:Domains:{domain}:TrustedCaFile", entry.TrustedCaFile);
        }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(name ?? Options.DefaultName, typeof(GatewayOptions), errors);
        }
    }

    /// <summary>The certificates in <paramref name="path"/>; null when no file is configured or it is bad (then an error naming <paramref name="key"/>).</summary>
    internal static X509Certificate2Collection? Load(List<string> errors, string key, string? path)
    {
        if (path is null)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{key} must not be empty when set.");
            return null;
        }
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            errors.Add($"{key} '{path}' cannot be read: {ex.Message.ReplaceLineEndings(" ")}");
            return null;
        }
        if (certificates.Count == 0)
        {
            errors.Add($"{key} '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
            return null;
        }
        return certificates;
    }
}
