'use client';

export type ShellChoice = { preset: 'sh' | 'bash' | 'custom'; custom: string; user: string };

export function ShellOptions({
  value,
  onChange,
  disabled,
}: {
  value: ShellChoice;
  onChange: (v: ShellChoice) => void;
  disabled?: boolean;
}) {
  return (
    <>
      <span className="muted">Command</span>
      <fieldset className="btn-group" aria-label="Command">
        {(['sh', 'bash', 'custom'] as const).map((p) => (
          <button
            key={p}
            type="button"
            className="btn sm"
            aria-pressed={value.preset === p}
            disabled={disabled}
            onClick={() => onChange({ ...value, preset: p })}
          >
            {p}
          </button>
        ))}
      </fieldset>
      {value.preset === 'custom' ? (
        <input
          className="input mono"
          style={{ width: 220, height: 24 }}
          placeholder="e.g. python3 -i"
          aria-label="Custom command"
          value={value.custom}
          disabled={disabled}
          onChange={(e) => onChange({ ...value, custom: e.target.value })}
        />
      ) : null}
      <input
        className="input mono"
        style={{ width: 130, height: 24 }}
        placeholder="user (default)"
        aria-label="Run as user"
        value={value.user}
        disabled={disabled}
        onChange={(e) => onChange({ ...value, user: e.target.value })}
      />
    </>
  );
}
