using BoshGateway.Configuration;

namespace BoshGateway.StatusPage;

/// <summary>Registers the status page's recorder, only when <c>Gateway:Status:Enabled</c> is true (otherwise it costs nothing).</summary>
internal static class StatusPageServiceCollectionExtensions
{
    public static IServiceCollection AddStatusPage(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>($"{GatewayOptions.SectionName}:Status:Enabled"))
        {
            services.AddSingleton<StatusRecorder>();
            services.AddHostedService(sp => sp.GetRequiredService<StatusRecorder>());
        }
        return services;
    }
}
