/**
 * Create or edit a model's price. Amounts are typed in currency units with up to 6 decimals and sent as
 * integer micro-units; multipliers per resolution tier and per `metadata.mode`.
 */
import { useId, useState, type FormEvent } from 'react';
import { resolutionTiers, type Price, type PriceBody, type ResolutionTier } from '../api';
import { toMicro, units } from '../format';
import { useSignedIn } from '../session';
import { Dialog, DialogActions, Field, useAction } from '../ui';

interface ModeRow {
  /** For React only: rows are added and removed. */
  id: number;
  name: string;
  factor: string;
}

let nextRowId = 0;
const modeRow = (name = '', factor = ''): ModeRow => ({ id: nextRowId++, name, factor });

/** A multiplier as typed; throws a message naming it when it is not a positive number. */
function factorOf(text: string, what: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new Error(`The ${what} multiplier must be a positive number, e.g. 1.5`);
  return value;
}

interface PriceFormValues {
  unit: Price['unit'];
  amount: string;
  free: boolean;
  tiers: Partial<Record<ResolutionTier, string>>;
  modes: ModeRow[];
}

/** The form's values as the API takes them; throws a message saying what to fix. */
function priceBody(form: PriceFormValues): PriceBody {
  try {
    return { ...chargeOf(form), free: form.free };
  } catch (error) {
    // A free model's charge is kept for when it stops being free, but its fields are disabled: a charge
    // that does not parse is dropped rather than asked for.
    if (!form.free) throw error;
    return { unit: form.unit, price: 0, resolution_multipliers: {}, mode_multipliers: {}, free: true };
  }
}

function chargeOf(form: PriceFormValues): Omit<PriceBody, 'free'> {
  const price = toMicro(form.amount);
  if (price === null || price < 0)
    throw new Error('The price must be an amount in currency units with at most 6 decimals, e.g. 0.1');
  const resolution_multipliers: PriceBody['resolution_multipliers'] = {};
  for (const tier of resolutionTiers) {
    const text = form.tiers[tier]?.trim();
    if (text) resolution_multipliers[tier] = factorOf(text, tier);
  }
  const mode_multipliers: Record<string, number> = {};
  for (const row of form.modes) {
    const name = row.name.trim();
    if (name === '' && row.factor.trim() === '') continue;
    if (name === '') throw new Error('Each mode multiplier needs the mode’s name, e.g. pro');
    if (name in mode_multipliers) throw new Error(`The mode ${name} is listed twice`);
    mode_multipliers[name] = factorOf(row.factor, `${name} mode`);
  }
  return { unit: form.unit, price, resolution_multipliers, mode_multipliers };
}

export function PriceForm({
  model: initialModel,
  price,
  suggestions,
  onClose,
  onSaved,
}: {
  /** The model to price ('' to type one). */
  model: string;
  /** The current price when editing, else null. */
  price: Price | null;
  /** Models that have no price yet, offered while typing. */
  suggestions: string[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api } = useSignedIn();
  const [model, setModel] = useState(initialModel);
  const [unit, setUnit] = useState<Price['unit']>(price?.unit ?? 'second');
  const [amount, setAmount] = useState(price ? units(price.price) : '');
  const [free, setFree] = useState(price?.free ?? false);
  const [tiers, setTiers] = useState<Partial<Record<ResolutionTier, string>>>(() =>
    Object.fromEntries(Object.entries(price?.resolution_multipliers ?? {}).map(([t, f]) => [t, String(f)])),
  );
  const [modes, setModes] = useState<ModeRow[]>(() => {
    const rows = Object.entries(price?.mode_multipliers ?? {}).map(([name, f]) => modeRow(name, String(f)));
    return rows.length > 0 ? rows : [modeRow()];
  });
  const action = useAction();
  const suggestionsId = useId();
  const micro = toMicro(amount);

  const setMode = (id: number, change: Partial<ModeRow>) =>
    setModes(modes.map((row) => (row.id === id ? { ...row, ...change } : row)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const body = priceBody({ unit, amount, free, tiers, modes });
      await api('PUT', `/admin/v1/prices/${encodeURIComponent(model.trim())}`, body);
      onSaved();
    });
  };

  return (
    <Dialog title={price ? `Price of ${price.model}` : 'New price'} onClose={onClose}>
      {/* An error is about the values sent: it goes once they are changed. */}
      <form onSubmit={submit} onChange={action.clearError} className="form-grid">
        <Field label="Model" hint={price ? undefined : 'The model name clients send.'}>
          {(props) => (
            <>
              <input
                {...props}
                required
                maxLength={200}
                readOnly={price !== null}
                list={suggestionsId}
                value={model}
                onChange={(e) => setModel(e.target.value)}
              />
              <datalist id={suggestionsId}>
                {suggestions.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <label className="check">
          <input type="checkbox" checked={free} onChange={(e) => setFree(e.target.checked)} />
          Free: serve this model without charge
        </label>
        <fieldset disabled={free}>
          <legend>Charge</legend>
          <div className="row">
            <Field label="Unit">
              {(props) => (
                <select {...props} value={unit} onChange={(e) => setUnit(e.target.value as Price['unit'])}>
                  <option value="second">per second of video</option>
                  <option value="call">per call (one generation)</option>
                </select>
              )}
            </Field>
            <Field
              label="Price"
              hint={
                micro !== null && micro >= 0
                  ? `${units(micro)} per ${unit} = ${micro.toLocaleString()} micro-units`
                  : 'In currency units, up to 6 decimals, e.g. 0.1'
              }
            >
              {(props) => (
                <input
                  {...props}
                  inputMode="decimal"
                  required={!free}
                  placeholder="0.100000"
                  value={amount}
                  onChange={(e) => setAmount(e.target.value)}
                />
              )}
            </Field>
          </div>
          <fieldset>
            <legend>Resolution multipliers</legend>
            <p className="hint">
              By the video&apos;s short side; empty is ×1. When the size is unknown the dearest tier is held.
            </p>
            <div className="tiers">
              {resolutionTiers.map((tier) => (
                <Field key={tier} label={tier}>
                  {(props) => (
                    <input
                      {...props}
                      type="number"
                      min={0}
                      step="any"
                      placeholder="1"
                      value={tiers[tier] ?? ''}
                      onChange={(e) => setTiers({ ...tiers, [tier]: e.target.value })}
                    />
                  )}
                </Field>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Mode multipliers</legend>
            <p className="hint">
              By <code>metadata.mode</code>, e.g. pro × 3.5 for Kling&apos;s pro mode; other modes are ×1.
            </p>
            {modes.map((row, index) => (
              <div key={row.id} className="mode-row">
                <input
                  aria-label={`Mode ${index + 1} name`}
                  placeholder="pro"
                  maxLength={50}
                  value={row.name}
                  onChange={(e) => setMode(row.id, { name: e.target.value })}
                />
                <input
                  aria-label={`Mode ${index + 1} multiplier`}
                  type="number"
                  min={0}
                  step="any"
                  placeholder="3.5"
                  value={row.factor}
                  onChange={(e) => setMode(row.id, { factor: e.target.value })}
                />
                <button
                  type="button"
                  aria-label={`Remove mode ${index + 1}`}
                  onClick={() => setModes(modes.filter((r) => r.id !== row.id))}
                >
                  Remove
                </button>
              </div>
            ))}
            <button type="button" className="link" onClick={() => setModes([...modes, modeRow()])}>
              Add a mode
            </button>
          </fieldset>
        </fieldset>
        <DialogActions action={action} onCancel={onClose}>
          Save price
        </DialogActions>
      </form>
    </Dialog>
  );
}
