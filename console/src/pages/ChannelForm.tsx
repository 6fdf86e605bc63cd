/** Create or edit a channel: the form asks for exactly the chosen vendor's credentials. */
import { useState, type FormEvent } from 'react';
import type { Channel, Vendor } from '../api';
import { useSignedIn } from '../session';
import { Dialog, DialogActions, Field, useAction } from '../ui';

const fieldLabels: Record<string, string> = {
  access_key: 'Access key',
  secret_key: 'Secret key',
  access_key_id: 'Access key ID',
  secret_access_key: 'Secret access key',
  api_key: 'API key',
  organization: 'Organization (optional)',
  project: 'Project (optional)',
};

const parseModels = (text: string) => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((m) => m.trim())
      .filter(Boolean),
  ),
];

export function ChannelForm({
  vendors,
  channel,
  onClose,
  onSaved,
}: {
  vendors: Vendor[];
  /** null: a new channel. */
  channel: Channel | null;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api } = useSignedIn();
  const [vendorName, setVendorName] = useState(channel?.vendor ?? vendors[0]?.vendor ?? '');
  const vendor = vendors.find((v) => v.vendor === vendorName);
  const [name, setName] = useState(channel?.name ?? '');
  const [baseUrl, setBaseUrl] = useState(channel?.base_url ?? '');
  const [credentials, setCredentials] = useState<Record<string, string>>({});
  const [models, setModels] = useState(channel?.models.join('\n') ?? '');
  const [priority, setPriority] = useState(String(channel?.priority ?? 0));
  const [weight, setWeight] = useState(String(channel?.weight ?? 1));
  const action = useAction();

  const filledCredentials = Object.fromEntries(
    Object.entries(credentials).filter(([, v]) => v.trim() !== ''),
  );
  // Credentials are write-only: on edit, blank fields keep the stored ones.
  const replacingCredentials = channel === null || Object.keys(filledCredentials).length > 0;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const body = {
        name: name.trim(),
        ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}),
        ...(replacingCredentials ? { credentials: filledCredentials } : {}),
        models: parseModels(models),
        priority: Number(priority),
        weight: Number(weight),
      };
      if (channel) await api('PATCH', `/admin/v1/channels/${channel.id}`, body);
      else await api('POST', '/admin/v1/channels', { vendor: vendorName, ...body });
      onSaved();
    });
  };

  return (
    <Dialog title={channel ? `Edit ${channel.name}` : 'New channel'} onClose={onClose}>
      <form onSubmit={submit} className="form-grid">
        <Field label="Vendor">
          {(props) => (
            <select
              {...props}
              value={vendorName}
              disabled={channel !== null}
              onChange={(e) => {
                setVendorName(e.target.value);
                setCredentials({});
              }}
            >
              {vendors.map((v) => (
                <option key={v.vendor} value={v.vendor}>
                  {v.vendor}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Name">
          {(props) => (
            <input
              {...props}
              required
              maxLength={200}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field label="Base URL" hint={vendor ? `Leave empty for ${vendor.default_base_url}` : undefined}>
          {(props) => (
            <input
              {...props}
              type="url"
              placeholder={vendor?.default_base_url}
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
            />
          )}
        </Field>
        <fieldset>
          <legend>{vendorName} credentials</legend>
          {channel && (
            <p className="hint">Stored credentials are never shown. Leave these empty to keep them.</p>
          )}
          {vendor?.credentials.map((field) => (
            <Field key={`${vendorName}-${field.name}`} label={fieldLabels[field.name] ?? field.name}>
              {(props) => (
                <input
                  {...props}
                  type="password"
                  autoComplete="off"
                  required={field.required && replacingCredentials}
                  value={credentials[field.name] ?? ''}
                  onChange={(e) => setCredentials({ ...credentials, [field.name]: e.target.value })}
                />
              )}
            </Field>
          ))}
        </fieldset>
        <Field label="Models" hint="One per line (or separated by commas): the model names clients send.">
          {(props) => (
            <textarea
              {...props}
              required
              rows={4}
              value={models}
              onChange={(e) => setModels(e.target.value)}
            />
          )}
        </Field>
        {vendor && (
          <button type="button" className="link" onClick={() => setModels(vendor.models.join('\n'))}>
            Use all {vendor.vendor} models
          </button>
        )}
        <div className="row">
          <Field label="Priority" hint="Higher goes first">
            {(props) => (
              <input
                {...props}
                type="number"
                min={-1000}
                max={1000}
                step={1}
                required
                value={priority}
                onChange={(e) => setPriority(e.target.value)}
              />
            )}
          </Field>
          <Field label="Weight" hint="Share within a priority">
            {(props) => (
              <input
                {...props}
                type="number"
                min={0}
                max={10000}
                step={1}
                required
                value={weight}
                onChange={(e) => setWeight(e.target.value)}
              />
            )}
          </Field>
        </div>
        <DialogActions action={action} onCancel={onClose}>
          {channel ? 'Save' : 'Create channel'}
        </DialogActions>
      </form>
    </Dialog>
  );
}
