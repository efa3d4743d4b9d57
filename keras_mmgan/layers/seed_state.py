"""Saving the state of a layer's `keras.random.SeedGenerator`s with its weights."""


class SavesSeedState:
    """Mixin for a `keras.layers.Layer` (or `keras.Model`) that draws random numbers.

    Keras does not write `SeedGenerator` states to `.keras` files or
    checkpoints, so a reloaded layer would restart its random stream. This
    mixin stores the state of each of the layer's own seed generators after its
    variables, so saving, loading and `BackupAndRestore` resume it exactly.
    """

    def _own_variables(self):
        return self._trainable_variables + self._non_trainable_variables

    def save_own_variables(self, store):
        super().save_own_variables(store)
        start = len(self._own_variables())
        for i, seed_generator in enumerate(self._seed_generators):
            store[str(start + i)] = seed_generator.state

    def load_own_variables(self, store):
        own = self._own_variables()
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])
        for i, seed_generator in enumerate(self._seed_generators):
            key = str(len(own) + i)
            if key in store.keys():
                seed_generator.state.assign(store[key])
