"""keras.io's "Actor Critic Method" (https://keras.io/examples/rl/actor_critic_cartpole/),
Keras 3 version, on the torch backend: the functional model with a shared Dense(128,
relu) and two heads (softmax actor, linear critic), Adam(0.01), keras.losses.Huber();
each episode calls the model once per time step on ops.expand_dims(state, 0), keeps
critic_value[0, 0] and ops.log(action_probs[0, action]), samples the action with
np.random.choice, then builds the normalized discounted returns and one loss,
sum(actor_losses) + sum(critic_losses), over the whole episode. Changes: the
tf.GradientTape is written the Keras 3 torch way (model.zero_grad(),
loss_value.backward(), [v.value.grad for v in model.trainable_weights],
optimizer.apply under torch.no_grad()); np.squeeze(action_probs) is taken of
ops.convert_to_numpy(action_probs) (a torch tensor that requires grad has no
__array__); gym's CartPole-v0 (not installed) is a NumPy transcription of its
dynamics (gym's cartpole.py: Euler steps of 0.02 s, done past 12 degrees or 2.4 m,
reward 1 per step) with a seeded reset; 6 episodes of at most 60 steps instead of
"until solved". The episode draws come from NumPy's seeded generator in both
libraries, so the run is compared with Keras: rewards, the sampled actions, losses and
trained weights."""
import math
import os

os.environ["KERAS_BACKEND"] = "torch"

import numpy as np
import torch

import keras
from keras import layers
from keras import ops

PARITY_TOL = (2e-4, 2e-5)  # 6 Adam steps at lr 0.01 over episode-long sums

# Configuration parameters for the whole setup
seed = 42
gamma = 0.99  # Discount factor for past rewards
max_steps_per_episode = 60
eps = np.finfo(np.float32).eps.item()  # Smallest number such that 1.0 + eps != 1.0

num_inputs = 4
num_actions = 2
num_hidden = 128


class CartPole:
    """gym's CartPole-v0 dynamics (gym/envs/classic_control/cartpole.py), in NumPy."""

    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.state = self.rng.uniform(-0.05, 0.05, size=4)
        return np.array(self.state, np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        force = self.force_mag if action == 1 else -self.force_mag
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        done = bool(x < -self.x_threshold or x > self.x_threshold
                    or theta < -self.theta_threshold_radians
                    or theta > self.theta_threshold_radians)
        return np.array(self.state, np.float32), 1.0, done, {}


def data():
    return None


def build():
    inputs = layers.Input(shape=(num_inputs,))
    common = layers.Dense(num_hidden, activation="relu")(inputs)
    action = layers.Dense(num_actions, activation="softmax")(common)
    critic = layers.Dense(1)(common)

    model = keras.Model(inputs=inputs, outputs=[action, critic])
    return model


def run(model, data, tmpdir):
    env = CartPole(seed)
    np.random.seed(seed)
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    huber_loss = keras.losses.Huber()
    action_probs_history = []
    critic_value_history = []
    rewards_history = []
    running_reward = 0
    episode_count = 0
    log = {"episode_reward": [], "loss": [], "actions": []}

    while episode_count < 6:  # Run until solved
        state = env.reset()
        episode_reward = 0
        model.zero_grad()
        actions = []
        for timestep in range(1, max_steps_per_episode):
            state = ops.convert_to_tensor(state)
            state = ops.expand_dims(state, 0)

            # Predict action probabilities and estimated future rewards
            # from environment state
            action_probs, critic_value = model(state)
            critic_value_history.append(critic_value[0, 0])

            # Sample action from action probability distribution
            action = np.random.choice(
                num_actions, p=np.squeeze(ops.convert_to_numpy(action_probs))
            )
            actions.append(int(action))
            action_probs_history.append(ops.log(action_probs[0, action]))

            # Apply the sampled action in our environment
            state, reward, done, _ = env.step(action)
            rewards_history.append(reward)
            episode_reward += reward

            if done:
                break

        # Update running reward to check condition for solving
        running_reward = 0.05 * episode_reward + (1 - 0.05) * running_reward

        # Calculate expected value from rewards
        returns = []
        discounted_sum = 0
        for r in rewards_history[::-1]:
            discounted_sum = r + gamma * discounted_sum
            returns.insert(0, discounted_sum)

        # Normalize
        returns = np.array(returns)
        returns = (returns - np.mean(returns)) / (np.std(returns) + eps)
        returns = returns.tolist()

        # Calculating loss values to update our network
        history = zip(action_probs_history, critic_value_history, returns)
        actor_losses = []
        critic_losses = []
        for log_prob, value, ret in history:
            diff = ret - value
            actor_losses.append(-log_prob * diff)  # actor loss

            critic_losses.append(
                huber_loss(ops.expand_dims(value, 0), ops.expand_dims(ret, 0))
            )

        # Backpropagation
        loss_value = sum(actor_losses) + sum(critic_losses)
        loss_value.backward()
        trainable_weights = [v for v in model.trainable_weights]
        grads = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            optimizer.apply(grads, trainable_weights)

        # Clear the loss and reward history
        action_probs_history.clear()
        critic_value_history.clear()
        rewards_history.clear()

        episode_count += 1
        log["episode_reward"].append(episode_reward)
        log["loss"].append(float(ops.convert_to_numpy(loss_value)))
        log["actions"].append(actions)

    log["running_reward"] = running_reward
    log["weights"] = model.get_weights()
    return log


def check(out):
    assert len(out["episode_reward"]) == 6
    assert all(1 <= r <= max_steps_per_episode - 1 for r in out["episode_reward"])
    # the rewards are one per step taken, and the loss an episode-long sum (finite)
    assert [len(a) for a in out["actions"]] == out["episode_reward"]
    assert np.isfinite(out["loss"]).all()
