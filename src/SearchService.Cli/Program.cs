using SearchService.Cli.Framework;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, press) =>
{
    // The first Ctrl+C cancels the work (down into the native runs); a second one ends the process.
    press.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};

return await SearchCtl.RunAsync(args, Console.Out, Console.Error, cancellation.Token);
