/**
 * Model prices: list, create, edit, delete; and the models channels serve that have no price yet, which the
 * gateway refuses (`model_not_priced`) until they get one.
 */
import { useState } from 'react';
import { resolutionTiers, type Channel, type List, type Price } from '../api';
import { age, units } from '../format';
import { useResource, type Resource } from '../hooks';
import { useSignedIn } from '../session';
import { Badge, Empty, ErrorNotice, Loaded, PageHeader, Table, useAction } from '../ui';
import { PriceForm } from './PriceForm';

/** Which channels serve each model, by the model name clients send. */
function channelsByModel(channels: Channel[]): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const channel of channels)
    for (const model of channel.models) served.set(model, [...(served.get(model) ?? []), channel.name]);
  return served;
}

/** What the form is open for: a new price (perhaps for a model named already) or an existing one. */
type Editing = { model: string; price: Price | null };

export function PricesPage() {
  const { api } = useSignedIn();
  const prices = useResource(() => api<List<Price>>('GET', '/admin/v1/prices'), 'prices');
  const channels = useResource(() => api<List<Channel>>('GET', '/admin/v1/channels'), 'channels');
  const [editing, setEditing] = useState<Editing | null>(null);
  const served = channelsByModel(channels.data?.data ?? []);
  const unpriced = [...served.keys()]
    .filter((model) => prices.data && !prices.data.data.some((p) => p.model === model))
    .sort();

  return (
    <>
      <PageHeader title="Prices">
        <button type="button" className="primary" onClick={() => setEditing({ model: '', price: null })}>
          New price
        </button>
      </PageHeader>
      <p className="lede">
        Every model needs a price, or to be marked free, before clients can use it. Money is in currency units
        (1 = 1,000,000 micro-units); the tier comes from the video&apos;s short side and the mode from{' '}
        <code>metadata.mode</code>.
      </p>
      <UnpricedModels
        channels={channels}
        ready={prices.data !== undefined}
        unpriced={unpriced}
        served={served}
        onSetPrice={(model) => setEditing({ model, price: null })}
      />
      <Loaded resource={prices} label="Loading prices…">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>No prices yet: every model is refused until it has one.</Empty>
          ) : (
            <Table
              caption="Model prices"
              columns={[
                'Model',
                'Price',
                'Resolution multipliers',
                'Mode multipliers',
                'Served by',
                'Updated',
                { label: 'Actions', hidden: true },
              ]}
            >
              {data.map((price) => (
                <PriceRow
                  key={price.model}
                  price={price}
                  channels={channels.data ? (served.get(price.model) ?? []) : null}
                  onEdit={() => setEditing({ model: price.model, price })}
                  onDeleted={prices.reload}
                />
              ))}
            </Table>
          )
        }
      </Loaded>
      {editing && (
        <PriceForm
          model={editing.model}
          price={editing.price}
          suggestions={unpriced}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            prices.reload();
          }}
        />
      )}
    </>
  );
}

function UnpricedModels({
  channels,
  ready,
  unpriced,
  served,
  onSetPrice,
}: {
  channels: Resource<List<Channel>>;
  /** The prices are loaded (until then nothing can be said to lack one). */
  ready: boolean;
  unpriced: string[];
  served: Map<string, string[]>;
  onSetPrice: (model: string) => void;
}) {
  return (
    <section aria-labelledby="unpriced-title" className="panel">
      <h2 id="unpriced-title">Models without a price</h2>
      <Loaded resource={channels} label="Loading channels…">
        {() =>
          !ready ? null : unpriced.length === 0 ? (
            <p className="ok-text">Every model a channel serves has a price.</p>
          ) : (
            <>
              <p className="notice warn">
                Channels serve {unpriced.length === 1 ? 'this model' : 'these models'}, but requests for{' '}
                {unpriced.length === 1 ? 'it' : 'them'} are refused with <code>model_not_priced</code> until{' '}
                {unpriced.length === 1 ? 'it has' : 'they have'} a price.
              </p>
              <Table
                caption="Models without a price"
                columns={['Model', 'Served by', { label: 'Actions', hidden: true }]}
              >
                {unpriced.map((model) => (
                  <tr key={model}>
                    <th scope="row" className="mono">
                      {model}
                    </th>
                    <td>{served.get(model)?.join(', ')}</td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="primary"
                        aria-label={`Set price for ${model}`}
                        onClick={() => onSetPrice(model)}
                      >
                        Set price
                      </button>
                    </td>
                  </tr>
                ))}
              </Table>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

const multiplierChips = (entries: [string, number | undefined][]) =>
  entries.length === 0 ? (
    <span className="sub">×1 for all</span>
  ) : (
    <ul className="chips">
      {entries.map(([name, factor]) => (
        <li key={name}>
          {name} ×{factor}
        </li>
      ))}
    </ul>
  );

function PriceRow({
  price,
  channels,
  onEdit,
  onDeleted,
}: {
  price: Price;
  /** Names of the channels serving the model; null while unknown. */
  channels: string[] | null;
  onEdit: () => void;
  onDeleted: () => void;
}) {
  const { api } = useSignedIn();
  const remove = useAction();
  const tiers = resolutionTiers
    .filter((tier) => price.resolution_multipliers[tier] !== undefined)
    .map((tier) => [tier, price.resolution_multipliers[tier]] as [string, number]);

  return (
    <tr>
      <th scope="row" className="mono">
        {price.model}
      </th>
      <td>
        {price.free ? (
          <Badge state="free" />
        ) : (
          <span className="amount">
            {units(price.price)} per {price.unit}
          </span>
        )}
      </td>
      <td>{price.free ? '—' : multiplierChips(tiers)}</td>
      <td>{price.free ? '—' : multiplierChips(Object.entries(price.mode_multipliers))}</td>
      <td>
        {channels === null ? (
          '…'
        ) : channels.length > 0 ? (
          channels.join(', ')
        ) : (
          <span className="sub">no channel</span>
        )}
      </td>
      <td>{age(price.updated_at)}</td>
      <td className="row-actions">
        <button type="button" aria-label={`Edit price of ${price.model}`} onClick={onEdit}>
          Edit
        </button>
        <button
          type="button"
          className="danger"
          aria-label={`Delete price of ${price.model}`}
          disabled={remove.busy}
          onClick={() => {
            if (
              !window.confirm(
                `Delete the price of ${price.model}? Requests for it will be refused until it has one.`,
              )
            )
              return;
            void remove.run(async () => {
              await api('DELETE', `/admin/v1/prices/${encodeURIComponent(price.model)}`);
              onDeleted();
            });
          }}
        >
          Delete
        </button>
        {remove.error && <ErrorNotice error={remove.error} />}
      </td>
    </tr>
  );
}
