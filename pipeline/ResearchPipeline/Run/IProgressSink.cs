using ResearchPipeline.Privacy;
namespace ResearchPipeline.Run;

/// <summary>Where stages report how far they are.</summary>
public interface IProgressSink
{
    void StageStarted(string stage, int total);
    void Advanced(string stage, string item);
    void StageFinished(string stage);
}

public sealed class SilentProgress : IProgressSink
{
    public void StageStarted(string stage, int total) { }
    public void Advanced(string stage, string item) { }
    public void StageFinished(string stage) { }
}
