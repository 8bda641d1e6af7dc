using SearchService.Api.Hosting;
using SearchService.Api.Logging;
using SearchService.Inference;
using SearchService.Inference.Imaging;

var builder = WebApplication.CreateBuilder(args);
builder.AddSerilogLogging();
builder.Services.AddInference(builder.Configuration);
builder.Services.AddImaging(builder.Configuration);
builder.Services.AddStorage(builder.Configuration);
builder.Services.AddSearchApi();

var app = builder.Build();
app.MapSearchApi();
app.Run();

/// <summary>Entry point; public for WebApplicationFactory.</summary>
public partial class Program;
